import { readFile, writeFile } from 'node:fs/promises';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { artifactKeys } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { harness, makeRepo, openTempDir, spawnWorker, type Harness } from './helpers.js';

// Real worker processes (services/worker/dist/main.js; run `npx turbo run build --filter=@outpost/worker...` first).
describe('worker process', () => {
  let h: Harness;
  let repo: { dir: string; head: string };
  let marks: string;
  const children: ReturnType<typeof spawnWorker>[] = [];
  const start = (env: Record<string, string> = {}) => {
    const c = spawnWorker(h.workerEnv({ OUTPOST_WORKER_VISIBILITY_SECONDS: '3', OUTPOST_LEASE_SECONDS: '4', OUTPOST_LEASE_RENEW_SECONDS: '1', ...env }));
    children.push(c);
    return c;
  };
  const exited = (c: ReturnType<typeof spawnWorker>) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve([c.exitCode, c.signalCode]) : once(c, 'exit');

  beforeAll(async () => {
    h = await harness();
    repo = await makeRepo(h.tmp);
    marks = await openTempDir('outpost-marks-');
    await chmod(marks, 0o777);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await h?.stop();
  });

  const status = (run: { tenantId: string; runId: string }) => h.stores.runs.require(run.tenantId, run.runId);
  const queueDepth = async () => {
    const a = await h.stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await h.stores.queues.jobsUrl('free'), AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(a.Attributes?.ApproximateNumberOfMessages ?? '0');
  };

  it('a worker SIGKILLed mid-run: the run ends succeeded on another worker at attempt 2 (visibility expiry)', async () => {
    const a = start();
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo "attempt on $PWD"; sleep 3; echo done' });
    await until(async () => (await status(run)).logTail?.includes('attempt on'), { what: 'first attempt to start', timeoutMs: 30_000 });
    const first = await status(run);
    a.kill('SIGKILL');
    await exited(a);
    const b = start();
    const end = await h.waitEnd(run, 60_000);
    expect(end.status).toBe('succeeded');
    expect(end.attempt).toBe(2);
    expect(end.workerId).not.toBe(first.workerId);
    b.kill('SIGTERM');
    await exited(b);
  });

  it('a worker SIGKILLed mid-run takes its agent down with it (no agent runs on after its worker)', async () => {
    const a = start();
    const pidFile = path.join(marks, `agent-${Date.now()}.pid`);
    // One attempt only: once its lease expires, the next worker fails it instead of running it again.
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: `echo $$ > ${pidFile}; sleep 300 & wait`, maxAttempts: 1 });
    const pid = Number(await until(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim(), { what: 'the agent to start', timeoutMs: 30_000 }));
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(pid)).toBe(true);
    a.kill('SIGKILL');
    await exited(a);
    await until(() => !alive(pid), { what: `agent ${pid} to die with its worker`, timeoutMs: 10_000 });
    expect((await status(run)).status).toBe('running'); // the lease expires later; another worker retries it
  });

  it('SIGTERM drain: a run that finishes within the grace ends normally, then the worker exits 0 and removes its heartbeat', async () => {
    const w = start({ OUTPOST_DRAIN_GRACE_SECONDS: '60' });
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo begun; sleep 2; echo finished' });
    await until(async () => (await status(run)).logTail?.includes('begun'), { what: 'run to start' });
    const workerId = (await status(run)).workerId!;
    w.kill('SIGTERM');
    const [code] = await exited(w);
    expect(code).toBe(0);
    const end = await status(run);
    expect(end.status).toBe('succeeded');
    expect(end.logTail).toContain('finished');
    const live = await h.stores.workers.listLive('free');
    expect(live.map((x) => x.workerId)).not.toContain(workerId);
  });

  it('SIGTERM drain: a run that outlasts the grace goes back to queued (attempt not counted), visible again, and succeeds elsewhere', async () => {
    const flag = path.join(marks, 'drain-first');
    const w = start({ OUTPOST_DRAIN_GRACE_SECONDS: '1', OUTPOST_KILL_GRACE_SECONDS: '1' });
    const run = await h.dispatch({
      agent: 'shell',
      repo: repo.dir,
      task: `if [ -e ${flag} ]; then echo second time; else touch ${flag}; echo first time; sleep 600; fi`,
    });
    await until(async () => (await status(run)).logTail?.includes('first time'), { what: 'run to start' });
    w.kill('SIGTERM');
    const [code] = await exited(w);
    expect(code).toBe(0);
    const back = await status(run);
    expect(back.status).toBe('queued');
    expect(back.attempt).toBe(0);
    await until(async () => (await queueDepth()) === 1, { timeoutMs: 2000, what: 'message visible again at once' });
    const objects = await h.s3Objects(artifactKeys.runPrefix(run.tenantId, run.runId));
    expect(objects.some((o) => o.key.endsWith('log.txt'))).toBe(true);
    const b = start();
    const end = await h.waitEnd(run);
    expect(end.status).toBe('succeeded');
    expect(end.attempt).toBe(1);
    expect(end.logTail).toContain('second time');
    // Both attempts' live chunks are kept, numbered on (the second never overwrote the first).
    const chunks = (await h.s3Objects(artifactKeys.logChunkPrefix(run.tenantId, run.runId))).map((o) => o.body.toString()).join('');
    expect(chunks).toContain('first time');
    expect(chunks).toContain('second time');
    b.kill('SIGTERM');
    await exited(b);
  });

  it('SIGTERM to an idle worker: a job its last long poll takes is handed back at once, not after the visibility timeout', async () => {
    const w = start({ OUTPOST_WORKER_VISIBILITY_SECONDS: '60', OUTPOST_WORKER_POLL_SECONDS: '20', OUTPOST_LOG_LEVEL: 'info' });
    await until(() => w.output().includes('"msg":"worker started"'), { what: 'the worker to poll' });
    w.kill('SIGTERM');
    await until(() => w.output().includes('"msg":"draining"'), { what: 'the drain to begin' });
    // The worker's receive is still open: SQS hands this job to it, stopping or not.
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo hi' });
    const [code] = await exited(w);
    expect(code).toBe(0);
    await until(async () => (await queueDepth()) === 1, { timeoutMs: 3000, what: 'the job visible again at once' });
    const got = await h.stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: await h.stores.queues.jobsUrl('free'), MessageSystemAttributeNames: ['ApproximateReceiveCount'], VisibilityTimeout: 0 }),
    );
    // Received twice: once by the stopping worker, which handed it back, and now by us.
    expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(await status(run)).toMatchObject({ status: 'queued', attempt: 0 });
    await h.stores.runs.cancelQueued({ tenantId: run.tenantId, runId: run.runId });
  });

  it('100 MB of agent output: streamed to log.txt while the worker memory stays flat', async () => {
    const w = start();
    await until(async () => (await h.stores.workers.listLive('free')).some((x) => x.pid === w.pid), { what: 'worker heartbeat' });
    const rss = async (field: 'VmRSS' | 'VmHWM') => {
      const s = await readFile(`/proc/${w.pid}/status`, 'utf8');
      return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(s)?.[1] ?? '0') * 1024;
    };
    const before = await rss('VmRSS');
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: "head -c 104857600 /dev/zero | tr '\\000' a | fold -w 99" });
    const end = await h.waitEnd(run, 120_000);
    expect(end.status).toBe('succeeded');
    const peak = await rss('VmHWM');
    const head = await h.stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: h.stores.names.bucket, Key: artifactKeys.artifact(run.tenantId, run.runId, 'log.txt') }),
    );
    expect(head.ContentLength).toBeGreaterThan(100 * 1024 * 1024);
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
    await writeFile(path.join(h.tmp, 'rss.txt'), `${before} ${peak}\n`);
    w.kill('SIGTERM');
    await exited(w);
  }, 180_000);
});
