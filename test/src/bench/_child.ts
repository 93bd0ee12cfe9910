import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * A service's dist main as a child process, as deployed. `OUTPOST_BENCH_PROFILE=<dir>` runs it
 * with `--cpu-prof` into that directory (the profile is written when it exits on SIGTERM).
 */
export function spawnService(main: string, env: Record<string, string>, name: string): ChildProcess {
  return spawn(process.execPath, [...profileArgs(name), main], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Node flags that write a CPU profile of a child named `name`, when OUTPOST_BENCH_PROFILE names a directory. */
export function profileArgs(name: string): string[] {
  const dir = process.env.OUTPOST_BENCH_PROFILE;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}-${process.pid}-${Date.now()}.cpuprofile`] : [];
}

/** The first JSON log line of `child` for which `pick` returns a value (the rest of stdout is dropped). */
export function fromLog<T>(child: ChildProcess, pick: (line: Record<string, unknown>) => T | undefined, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('service did not log the expected line in time')), timeoutMs);
    child.once('exit', (code) => reject(new Error(`service exited ${code} before it was ready`)));
    lines.on('line', (line) => {
      try {
        const v = pick(JSON.parse(line) as Record<string, unknown>);
        if (v === undefined) return;
        clearTimeout(timer);
        resolve(v);
      } catch {
        // not JSON: ignore
      }
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
