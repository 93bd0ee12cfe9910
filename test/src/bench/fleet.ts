import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestStack } from '@outpost/testkit';
import { newRunId, newTenantId, openStores, sendJob, type RunRecord, type Stores } from '@outpost/shared';
import { spawnService, stopChild } from './_child.js';
import { round } from './_stats.js';
import { cloneAndTrue, splitRuns, type Split } from './_fleet-split.js';

export const title = 'fleet throughput: 1,000 `shell true` runs dispatched at once, drained by 1, 2, 4, 8 worker processes';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER_MAIN = path.resolve(HERE, '../../../services/worker/dist/main.js');
/** Runs per pool size (`BENCH_FLEET_RUNS`) and the pool sizes (`BENCH_FLEET_POOLS`, comma-separated). */
const RUNS = Number(process.env.BENCH_FLEET_RUNS ?? 1000);
const POOLS = (process.env.BENCH_FLEET_POOLS ?? '1,2,4,8').split(',').map(Number);

async function until<T>(f: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('fleet benchmark timed out waiting');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Each pool size: N worker processes (their dist main, one run at a time each, as deployed), then
 * RUNS runs created and queued as the edge's dispatch does (run store, then the job message), 16 at
 * a time, from a local git repository. Throughput is runs over the time from the first dispatch to
 * the last finish; the split of a run's time comes from its record and its stamped log lines.
 * The baseline is the same work without Outpost (clone + `sh -c true`) one after another, here.
 */
export async function run(): Promise<Record<string, unknown>> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'outpost-bench-fleet-'));
  await chmod(tmp, 0o755);
  const home = path.join(tmp, 'home');
  await mkdir(home);
  const stack = await startTestStack({ home });
  const stores: Stores = openStores(stack.config, stack.clients);
  const repo = path.join(tmp, 'repo');
  await mkdir(repo, { mode: 0o755 });
  execFileSync('git', ['init', '-q', '-b', 'trunk'], { cwd: repo });
  await writeFile(path.join(repo, 'README.md'), '# fleet\n');
  execFileSync('git', ['add', '.'], { cwd: repo });
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@e', 'commit', '-q', '-m', 'one'], { cwd: repo });
  const workers: ChildProcess[] = [];
  try {
    const raw = await cloneAndTrue(repo, tmp, 50);
    const result: Record<string, unknown> = { runs: RUNS, rawCloneAndTrue: { perSecond: raw.perSecond, p50Ms: raw.p50Ms } };
    let base: number | undefined;
    for (const pool of POOLS) {
      const root = path.join(tmp, `work-${pool}`);
      await mkdir(root, { mode: 0o711 });
      for (let i = 0; i < pool; i++) {
        workers.push(
          spawnService(WORKER_MAIN, {
            ...stack.env, OUTPOST_LOG_LEVEL: 'error', OUTPOST_WORKER_TIER: 'enterprise', OUTPOST_WORKER_CONCURRENCY: '1', OUTPOST_WORKER_ROOT: root,
          }, `worker${pool}-${i}`),
        );
      }
      await until(async () => ((await stores.workers.listLive('enterprise')).length >= pool ? true : undefined), 60_000, 100);

      const tenantId = newTenantId();
      const t0 = Date.now();
      const ids: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < RUNS) {
            next++;
            const r = await stores.runs.create({ tenantId, runId: newRunId(), tier: 'enterprise', agent: 'shell', repo, task: 'true', taskBytes: 4, timeoutSeconds: 600, maxAttempts: 3 });
            ids.push(r.runId);
            await sendJob(stack.clients.sqs, stores.queues, { tier: 'enterprise', tenantId, runId: r.runId });
          }
        }),
      );
      const dispatchSeconds = (Date.now() - t0) / 1000;
      const ended: RunRecord[] = [];
      for (const runId of ids) {
        ended.push(
          await until(async () => {
            const r = await stores.runs.require(tenantId, runId);
            return r.status === 'queued' || r.status === 'running' ? undefined : r;
          }, 30 * 60_000, 50),
        );
      }
      const failed = ended.filter((r) => r.status !== 'succeeded');
      if (failed.length) throw new Error(`${failed.length} runs did not succeed, e.g. ${failed[0]!.status}: ${failed[0]!.error?.message ?? ''}`);
      const last = Math.max(...ended.map((r) => Date.parse(r.finishedAt!)));
      const seconds = (last - t0) / 1000;
      const perSecond = round(RUNS / seconds);
      base ??= perSecond;
      const split: Split = splitRuns(ended);
      result[`pool${pool}`] = { seconds: round(seconds), dispatchSeconds: round(dispatchSeconds), runsPerSecond: perSecond, vsPool1: round(perSecond / base), vsRawSequential: round(perSecond / raw.perSecond), splitP50Ms: split };
      process.stdout.write(
        `pool ${String(pool).padStart(2)}: ${perSecond} runs/s (×${round(perSecond / base)} of pool 1, ×${round(perSecond / raw.perSecond)} of raw clone+true one at a time) in ${round(seconds)} s; per run p50 ms ${JSON.stringify(split)}\n`,
      );
      await Promise.all(workers.splice(0).map((w) => stopChild(w)));
    }
    process.stdout.write(`raw clone + sh -c true, one at a time: ${raw.perSecond}/s (p50 ${raw.p50Ms} ms)\n`);
    return result;
  } finally {
    await Promise.all(workers.map((w) => stopChild(w)));
    await stack.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
