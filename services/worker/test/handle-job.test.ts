import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { newRunId, sendJob, silentLogger, type RunRecord } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { handleJob, type JobDeps } from '../src/handle-job.js';
import type { RunOutcome } from '../src/run-execution.js';
import { harness, type Harness } from './helpers.js';

describe('handleJob()', () => {
  let h: Harness;
  let executed: RunRecord[];
  let deps: JobDeps;
  let outcome: RunOutcome;
  beforeAll(async () => {
    executed = [];
    outcome = { kind: 'finished', status: 'succeeded' };
    h = await harness();
    deps = {
      runs: h.stores.runs,
      tier: 'free',
      workerId: 'wkr_TEST',
      leaseMs: 30_000,
      sqs: h.stack.clients.sqs,
      queueUrl: await h.stores.queues.jobsUrl('free'),
      logger: silentLogger,
      execute: async (run) => {
        executed.push(run);
        return outcome;
      },
    };
  }, 60_000);
  afterAll(async () => h?.stop());

  const newRun = (o: Partial<{ tier: 'free' | 'pro'; maxAttempts: number }> = {}) =>
    h.stores.runs.create({
      tenantId: h.tenantId,
      runId: newRunId(),
      tier: o.tier ?? 'free',
      agent: 'shell',
      repo: '/tmp/x',
      task: 'true',
      taskBytes: 4,
      timeoutSeconds: 60,
      maxAttempts: o.maxAttempts ?? 3,
    });
  const msg = (body: unknown): Message => ({ MessageId: 'm1', ReceiptHandle: 'r1', Body: typeof body === 'string' ? body : JSON.stringify(body) });
  const job = (run: { tenantId: string; runId: string }, kind = 'run') => msg({ v: 1, kind, tenantId: run.tenantId, runId: run.runId });

  it.each([['not json'], ['{"v":2,"tenantId":"a","runId":"b"}'], ['{"v":1}']])('settles a poison body without running: %s', async (body) => {
    executed = [];
    await expect(handleJob(deps, msg(body))).resolves.toEqual({ settle: true, reason: 'invalid_message' });
    expect(executed).toHaveLength(0);
  });

  it('settles a job whose run does not exist', async () => {
    await expect(handleJob(deps, job({ tenantId: h.tenantId, runId: newRunId() }))).resolves.toMatchObject({ settle: true, reason: 'not_found' });
  });

  it('leases, executes, and settles after the terminal write', async () => {
    executed = [];
    const run = await newRun();
    await expect(handleJob(deps, job(run))).resolves.toEqual({ settle: true, reason: 'succeeded' });
    expect(executed).toHaveLength(1);
    expect(executed[0]).toMatchObject({ status: 'running', attempt: 1, workerId: 'wkr_TEST' });
  });

  it('does not run a run a live worker holds, and leaves the message', async () => {
    executed = [];
    const run = await newRun();
    await h.stores.runs.acquireLease({ tenantId: run.tenantId, runId: run.runId, tier: 'free', workerId: 'wkr_OTHER', leaseMs: 60_000 });
    await expect(handleJob(deps, job(run))).resolves.toEqual({ settle: false, reason: 'leased' });
    expect(executed).toHaveLength(0);
  });

  it('settles a job for an ended run, and one for another tier, without running', async () => {
    executed = [];
    const ended = await newRun();
    await h.stores.runs.cancelQueued({ tenantId: ended.tenantId, runId: ended.runId });
    await expect(handleJob(deps, job(ended))).resolves.toEqual({ settle: true, reason: 'terminal' });
    const pro = await newRun({ tier: 'pro' });
    await expect(handleJob(deps, job(pro))).resolves.toEqual({ settle: true, reason: 'wrong_tier' });
    expect(executed).toHaveLength(0);
  });

  it('a queued run with a cancel request is ended as cancelled and settled', async () => {
    const run = await newRun();
    const leased = await h.stores.runs.acquireLease({ tenantId: run.tenantId, runId: run.runId, tier: 'free', workerId: 'wkr_OTHER', leaseMs: 60_000 });
    await h.stores.runs.requestCancel({ tenantId: run.tenantId, runId: run.runId });
    await h.stores.runs.release({ tenantId: run.tenantId, runId: run.runId, tier: 'free', leaseToken: leased.leaseToken, countAttempt: false });
    await expect(handleJob(deps, job(run))).resolves.toEqual({ settle: true, reason: 'cancel_requested' });
    const end = await h.stores.runs.require(run.tenantId, run.runId);
    expect(end.status).toBe('cancelled');
    expect(end.expiresAt).toBe(Math.floor(Date.parse(end.finishedAt!) / 1000) + h.stack.config.tiers.free.retentionDays * 86_400);
  });

  it('a run whose dead worker used the last attempt is failed (lease_expired) and settled, not run', async () => {
    executed = [];
    const run = await newRun({ maxAttempts: 1 });
    await h.stores.runs.acquireLease({ tenantId: run.tenantId, runId: run.runId, tier: 'free', workerId: 'wkr_DEAD', leaseMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    await expect(handleJob(deps, job(run))).resolves.toEqual({ settle: true, reason: 'attempts_exhausted' });
    expect(executed).toHaveLength(0);
    const end = await h.stores.runs.require(run.tenantId, run.runId);
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('lease_expired');
  });

  it('an expired lease with attempts left is taken over (attempt 2) and run', async () => {
    executed = [];
    const run = await newRun();
    await h.stores.runs.acquireLease({ tenantId: run.tenantId, runId: run.runId, tier: 'free', workerId: 'wkr_DEAD', leaseMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    await expect(handleJob(deps, job(run))).resolves.toEqual({ settle: true, reason: 'succeeded' });
    expect(executed.map((r) => [r.attempt, r.workerId])).toEqual([[2, 'wkr_TEST']]);
  });

  it('a lost lease leaves the message; a released run leaves it too', async () => {
    outcome = { kind: 'lost' };
    await expect(handleJob(deps, job(await newRun()))).resolves.toEqual({ settle: false, reason: 'lease_lost' });
    outcome = { kind: 'released' };
    await expect(handleJob(deps, job(await newRun()))).resolves.toEqual({ settle: false, reason: 'released' });
    outcome = { kind: 'finished', status: 'succeeded' };
  });

  it('a run handed back for a retry: its job becomes visible again after the backoff, not at once', async () => {
    const run = await newRun();
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: run.tenantId, runId: run.runId });
    const received = await h.stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: deps.queueUrl, WaitTimeSeconds: 5, VisibilityTimeout: 60 }));
    const message = received.Messages![0]!;
    outcome = { kind: 'released', retryInSeconds: 2 };
    try {
      await expect(handleJob(deps, message)).resolves.toEqual({ settle: false, reason: 'retry' });
    } finally {
      outcome = { kind: 'finished', status: 'succeeded' };
    }
    // fauxqs expires in-flight messages only on a receive, so receive to see it (and keep it, out of the next tests' way).
    const takeIt = async () =>
      (await h.stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: deps.queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 600 }))).Messages?.[0];
    const handedBackAt = Date.now();
    expect(await takeIt()).toBeUndefined();
    const again = await until(takeIt, { timeoutMs: 10_000, intervalMs: 50, what: 'the job visible after its backoff' });
    expect(Date.now() - handedBackAt).toBeGreaterThanOrEqual(1500);
    expect(again.MessageId).toBe(message.MessageId);
  });

  it('while draining, hands a new job straight back without leasing', async () => {
    executed = [];
    const run = await newRun();
    await expect(handleJob({ ...deps, accepting: () => false }, job(run))).resolves.toEqual({ settle: false, reason: 'draining' });
    expect(executed).toHaveLength(0);
    expect((await h.stores.runs.require(run.tenantId, run.runId)).status).toBe('queued');
  });

  it('dispatches other kinds to their handler; without one the message stays on the queue', async () => {
    const run = await newRun();
    await expect(handleJob(deps, job(run, 'promote'))).resolves.toEqual({ settle: false, reason: 'no_handler' });
    const seen: string[] = [];
    const withPromote: JobDeps = {
      ...deps,
      handlers: {
        promote: async (_d, j) => {
          seen.push(j.runId);
          return { settle: true, reason: 'promoted' };
        },
      },
    };
    await expect(handleJob(withPromote, job(run, 'promote'))).resolves.toEqual({ settle: true, reason: 'promoted' });
    expect(seen).toEqual([run.runId]);
  });
});
