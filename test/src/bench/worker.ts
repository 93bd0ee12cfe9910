import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileArgs } from './_child.js';
import { newRunId, newTenantId, openStores, sendJob, type RunRecord, type Stores } from '@outpost/shared';
import { until, startTestStack, type TestStack } from '@outpost/testkit';

export const title = 'worker: pickup latency, end-to-end overhead of `shell true`, 1 GB of agent output vs a raw lib-storage upload';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER_MAIN = path.resolve(HERE, '../../../services/worker/dist/main.js');
const RAW_UPLOAD = path.join(HERE, '_raw-upload.js');
const round = (n: number) => Math.round(n * 100) / 100;
const MB = 1024 * 1024;

function quantiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { n: s.length, p50: round(q(0.5)), p99: round(q(0.99)), max: round(s[s.length - 1] ?? 0) };
}

async function vm(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? '0') * 1024;
}

function runChild(cmd: string, args: string[], cwd?: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'outpost-bench-worker-'));
  await chmod(tmp, 0o755);
  const home = path.join(tmp, 'home');
  const root = path.join(tmp, 'work');
  await mkdir(home);
  await mkdir(root, { mode: 0o711 });
  const stack: TestStack = await startTestStack({ home });
  const stores: Stores = openStores(stack.config, stack.clients);
  const tenantId = newTenantId();
  const repo = path.join(tmp, 'repo');
  await mkdir(repo, { mode: 0o755 });
  execFileSync('git', ['init', '-q', '-b', 'trunk'], { cwd: repo });
  await writeFile(path.join(repo, 'README.md'), '# bench\n');
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@e', 'commit', '-q', '--allow-empty', '-m', 'one'], { cwd: repo });
  let worker: ChildProcess | undefined;
  try {
    worker = spawn(process.execPath, [...profileArgs('worker'), WORKER_MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        ...stack.env,
        OUTPOST_LOG_LEVEL: process.env.OUTPOST_BENCH_WORKER_LOG ?? 'error',
        OUTPOST_WORKER_TIER: 'enterprise',
        OUTPOST_WORKER_CONCURRENCY: '1',
        OUTPOST_WORKER_ROOT: root,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const pid = worker.pid!;
    await until(async () => (await stores.workers.listLive('enterprise')).length > 0, { timeoutMs: 30_000, what: 'the worker heartbeat' });

    const dispatch = async (task: string): Promise<{ run: RunRecord; sentAt: number }> => {
      const run = await stores.runs.create({
        tenantId, runId: newRunId(), tier: 'enterprise', agent: 'shell', repo, task, taskBytes: task.length, timeoutSeconds: 3600, maxAttempts: 3,
      });
      const sentAt = Date.now();
      await sendJob(stack.clients.sqs, stores.queues, { tier: 'enterprise', tenantId, runId: run.runId });
      return { run, sentAt };
    };
    const waitEnd = (run: RunRecord, timeoutMs: number) =>
      until(async () => {
        const r = await stores.runs.require(run.tenantId, run.runId);
        return r.status === 'queued' || r.status === 'running' ? undefined : r;
        // 5 ms polls: the pickup latency measured is read off this loop.
      }, { timeoutMs, intervalMs: 5, what: `run ${run.runId} to end` });

    // 1. Pickup latency (send → lease taken, from the run's startedAt) and end to end of `true`.
    const pickup: number[] = [];
    const e2e: number[] = [];
    for (let i = 0; i < 40; i++) {
      const { run, sentAt } = await dispatch('true');
      const end = await waitEnd(run, 60_000);
      if (end.status !== 'succeeded') throw new Error(`bench run ${end.runId} ${end.status}: ${end.error?.message ?? ''}`);
      if (i < 3) continue; // warm-up
      pickup.push(Date.parse(end.startedAt!) - sentAt);
      e2e.push(Date.parse(end.finishedAt!) - sentAt);
    }
    // Baseline: the same work without Outpost (clone + `sh -c true`).
    const raw: number[] = [];
    for (let i = 0; i < 20; i++) {
      const dir = path.join(tmp, `raw-${i}`);
      const t0 = performance.now();
      await runChild('git', ['clone', '-q', '--', repo, dir]);
      await runChild('sh', ['-c', 'true'], dir);
      raw.push(performance.now() - t0);
      await rm(dir, { recursive: true, force: true });
    }

    // 2. 1 GB of agent output through the worker (live chunks, redaction, log.txt) vs a raw upload.
    const bytes = Number(process.env.OUTPOST_BENCH_LOG_BYTES ?? 1024 * MB);
    const idleRss = await vm(pid, 'VmRSS');
    const t0 = Date.now();
    const { run: big } = await dispatch(`head -c ${bytes} /dev/zero | tr '\\000' a | fold -w 99`);
    let peak = idleRss;
    const sampler = setInterval(() => void vm(pid, 'VmRSS').then((r) => (peak = Math.max(peak, r)), () => undefined), 200);
    const bigEnd = await waitEnd(big, 30 * 60_000);
    clearInterval(sampler);
    const logSeconds = (Date.now() - t0) / 1000;
    const hwm = await vm(pid, 'VmHWM');
    if (bigEnd.status !== 'succeeded') throw new Error(`1 GB run ${bigEnd.status}: ${bigEnd.error?.message ?? ''}`);
    const logTxt = bigEnd.artifacts?.find((a) => a.name === 'log.txt')?.bytes ?? 0;
    // Where the time went: the agent's life (reading, redacting, writing the log, live chunks) vs after it (log.txt, the end).
    const agentSeconds = Number(/agent ended with exit code 0 after ([\d.]+) s/.exec(bigEnd.logTail ?? '')?.[1] ?? NaN);

    // Async: the emulators live in this process, so a synchronous child would deadlock them.
    const rawOut = await runChild(process.execPath, [RAW_UPLOAD, stack.env.OUTPOST_S3_ENDPOINT!, stores.names.bucket, 'bench/raw-upload.bin', String(bytes)], undefined, {
      OUTPOST_LOCAL_ACCESS_KEY_ID: stack.emulators.credentials.accessKeyId,
      OUTPOST_LOCAL_SECRET_ACCESS_KEY: stack.emulators.credentials.secretAccessKey,
    });
    const rawUp = JSON.parse(rawOut) as { seconds: number; rssBefore: number; rssPeak: number };

    const result = {
      pickupMs: quantiles(pickup),
      endToEndTrueMs: quantiles(e2e),
      rawCloneAndTrueMs: quantiles(raw),
      overheadP50Ms: round((quantiles(e2e).p50 ?? 0) - (quantiles(raw).p50 ?? 0)),
      log: {
        agentBytes: bytes,
        logTxtBytes: logTxt,
        seconds: round(logSeconds),
        agentSeconds,
        afterAgentSeconds: round(Date.parse(bigEnd.finishedAt!) / 1000 - Date.parse(bigEnd.startedAt!) / 1000 - agentSeconds),
        mbPerSecond: round(bytes / MB / logSeconds),
        rssIdleMb: round(idleRss / MB),
        rssGrowthMb: round((Math.max(peak, hwm) - idleRss) / MB),
      },
      rawUpload: {
        seconds: round(rawUp.seconds),
        mbPerSecond: round(bytes / MB / rawUp.seconds),
        rssGrowthMb: round((rawUp.rssPeak - rawUp.rssBefore) / MB),
      },
      throughputRatioWorkerVsRaw: round(bytes / logSeconds / (bytes / rawUp.seconds)),
      aims: { pickupP50Under50Ms: quantiles(pickup).p50 < 50, rssGrowthUnder64Mb: (Math.max(peak, hwm) - idleRss) / MB < 64 },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await Promise.race([once(worker, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
    await stack.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
