import { readFile } from 'node:fs/promises';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { artifactKeys, sendJob } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { harness, makeRepo, openTempDir, type Harness } from './helpers.js';

const TENANT_KEY = 'sk-ant-api03-PLANTEDtenantKEY0123456789abcdef';
// Must match test/fixtures/agents/fake-agent.js plantedGithubToken().
const GHP = ['gh', 'p_', 'Pl4nted', 'T0ken', 'x'.repeat(30)].join('');

describe('worker › run lifecycle', () => {
  let h: Harness;
  let repo: { dir: string; head: string };
  let marks: string;
  beforeAll(async () => {
    h = await harness();
    repo = await makeRepo(h.tmp);
    marks = await openTempDir('outpost-marks-');
    await chmod(marks, 0o777);
    await h.setSecret('anthropic_api_key', TENANT_KEY);
    // Two workers on one queue, short visibility: duplicates come back quickly.
    await h.startWorker({ OUTPOST_WORKER_VISIBILITY_SECONDS: '3' });
    await h.startWorker({ OUTPOST_WORKER_VISIBILITY_SECONDS: '3' });
  }, 60_000);
  afterAll(async () => h?.stop());

  it('times out: SIGTERM, grace, SIGKILL of the whole group → timed_out', async () => {
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: "trap '' TERM; echo started; sleep 600 & wait", timeoutSeconds: 1 });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('timed_out');
    expect(end.error?.code).toBe('timeout');
    expect(end.logTail).toContain('started');
  });

  it('cancels a running agent within 5 s of the request', async () => {
    const run = await h.dispatch({ agent: 'claude', repo: repo.dir, task: 'print about to hang\nhang stubborn' });
    await until(async () => (await h.stores.runs.require(run.tenantId, run.runId)).logTail?.includes('about to hang'), { what: 'agent output' });
    const requested = await h.stores.runs.requestCancel({ tenantId: run.tenantId, runId: run.runId, reason: 'user changed their mind' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('cancelled');
    expect(end.error).toEqual({ code: 'cancelled', message: 'user changed their mind' });
    // The requirement is on the agent: stopped within 5 s of the request (the sys line is written at its exit).
    const log = (await h.s3Objects(artifactKeys.artifact(run.tenantId, run.runId, 'log.txt')))[0]!.body.toString();
    const stoppedAt = /^(\S+) sys agent ended with signal/m.exec(log)?.[1];
    expect(stoppedAt).toBeDefined();
    expect(Date.parse(stoppedAt!) - Date.parse(requested.cancelRequestedAt!)).toBeLessThan(5000);
  });

  it('a crash (exit 3) fails the run with the exit code and the last lines', async () => {
    const run = await h.dispatch({ agent: 'claude', repo: repo.dir, task: 'print before the crash\ncrash' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    expect(end.exitCode).toBe(3);
    expect(end.error?.code).toBe('agent_failed');
    expect(end.error?.message).toContain('exit code 3');
    expect(end.error?.message).toContain('crashed on purpose');
  });

  it('planted secrets (the tenant key, a GitHub token) reach no S3 object and no DynamoDB attribute', async () => {
    const run = await h.dispatch({
      agent: 'claude',
      repo: repo.dir,
      task: 'print-env ANTHROPIC_API_KEY\nprint-ghp\nwrite-env leaked.txt ANTHROPIC_API_KEY\ncommit leak the key\nfinal-env ANTHROPIC_API_KEY\ncrash',
    });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    const objects = await h.s3Objects();
    const mine = objects.filter((o) => o.key.includes(run.runId));
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.map((o) => o.key).some((k) => k.endsWith('changes.bundle'))).toBe(false);
    for (const o of objects) {
      const text = o.body.toString('latin1');
      expect({ key: o.key, leaked: text.includes(TENANT_KEY) || text.includes(GHP) }).toEqual({ key: o.key, leaked: false });
    }
    const log = mine.find((o) => o.key.endsWith('log.txt'))!.body.toString();
    expect(log).toContain('ANTHROPIC_API_KEY=[REDACTED]');
    const item = await h.stack.clients.doc.send(new GetCommand({ TableName: h.stores.names.tables.runs, Key: { tenantId: run.tenantId, runId: run.runId } }));
    const json = JSON.stringify(item.Item);
    expect(json).not.toContain(TENANT_KEY);
    expect(json).not.toContain(GHP);
    expect(json).toContain('[REDACTED]');
  });

  it('the same message delivered twice, to two workers at once: the agent runs once', async () => {
    const marker = path.join(marks, 'once.txt');
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: `echo $$ >> ${marker}; sleep 2; echo ok` });
    // Two more copies of the wake-up call, while the first is being worked on.
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: run.tenantId, runId: run.runId });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: run.tenantId, runId: run.runId });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('succeeded');
    expect(end.attempt).toBe(1);
    // Every copy is settled eventually (the ones that met a live lease come back after 3 s).
    const url = await h.stores.queues.jobsUrl('free');
    await until(
      async () => {
        const a = await h.stack.clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        );
        return a.Attributes?.ApproximateNumberOfMessages === '0' && a.Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
      },
      { timeoutMs: 30_000, what: 'queue to drain' },
    );
    const lines = (await readFile(marker, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
  });

  it('a worker that loses its lease stops its agent and writes nothing more', async () => {
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo started; sleep 600' });
    await until(async () => (await h.stores.runs.require(run.tenantId, run.runId)).logTail?.includes('started'), { what: 'run to start' });
    // Another worker takes the run over (as after an expiry): the lease token changes under the first.
    await h.stack.clients.doc.send(
      new UpdateCommand({
        TableName: h.stores.names.tables.runs,
        Key: { tenantId: run.tenantId, runId: run.runId },
        UpdateExpression: 'SET leaseToken = :t, workerId = :w',
        ExpressionAttributeValues: { ':t': 'taken-over', ':w': 'wkr_OTHER' },
      }),
    );
    await until(() => h.workers.every((w) => !w.currentRuns.includes(run.runId)), { what: 'the worker to let go', timeoutMs: 20_000 });
    const after = await h.stores.runs.require(run.tenantId, run.runId);
    expect(after).toMatchObject({ status: 'running', leaseToken: 'taken-over', workerId: 'wkr_OTHER' });
    expect(after.artifacts).toBeUndefined();
    const objects = await h.s3Objects(artifactKeys.runPrefix(run.tenantId, run.runId));
    expect(objects.map((o) => o.key).filter((k) => !k.includes('/log/'))).toEqual([]);
  });

  it('runs the agent as an unprivileged user with an environment built from nothing', async () => {
    process.env.OUTPOST_SHOULD_NOT_LEAK = 'worker-only';
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo "uid=$(id -u)"; env | sort; echo "home=$HOME"' });
    const end = await h.waitEnd(run);
    const objects = await h.s3Objects();
    const log = objects.find((o) => o.key.includes(run.runId) && o.key.endsWith('log.txt'))!.body.toString();
    expect(end.status).toBe('succeeded');
    if (process.getuid?.() === 0) expect(log).not.toContain('uid=0');
    expect(log).not.toMatch(/ out (AWS_|OUTPOST_)/);
    expect(log).toMatch(/ out home=\/.*\/home$/m);
  });
});
