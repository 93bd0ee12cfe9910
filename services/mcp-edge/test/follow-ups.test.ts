import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { artifactKeys, newWorkerId, type TerminalStatus } from '@outpost/shared';
import { callError, callOk, REPO, startHarness, type Harness } from './helpers/harness.js';

interface Dispatched {
  runs: { runId: string; agent: string; status: string; parentRunId?: string }[];
  replayed: boolean;
}

describe('follow-ups', () => {
  let h: Harness;
  let t: { tenantId: string; apiKey: string };
  let client: Client;

  beforeAll(async () => {
    h = await startHarness({ tiers: { enterprise: { maxChainDepth: 2 } } });
    t = await h.tenant('enterprise');
    client = await h.client(t.apiKey);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Ends a run as a worker would: base commit, a patch artifact, a terminal status. */
  async function finish(runId: string, status: TerminalStatus = 'succeeded', tenantId = t.tenantId): Promise<void> {
    const { leaseToken } = await h.stores.runs.acquireLease({ tenantId, runId, tier: 'enterprise', workerId: newWorkerId(), leaseMs: 60_000 });
    await h.stores.runs.recordProgress({ tenantId, runId, leaseToken, baseCommit: 'a'.repeat(40) });
    const key = artifactKeys.artifact(tenantId, runId, 'patch.diff');
    await h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: key, Body: 'diff --git a/x b/x\n' }));
    await h.stores.runs.finish({
      tenantId,
      runId,
      leaseToken,
      status,
      exitCode: status === 'succeeded' ? 0 : 1,
      artifacts: [{ name: 'patch.diff', key, bytes: 19 }],
      ...(status === 'failed' ? { error: { code: 'agent_failed', message: 'it broke' } } : {}),
    });
  }

  async function finishedRun(agent = 'claude', client_ = client, tenantId = t.tenantId): Promise<string> {
    const out = await callOk<Dispatched>(client_, 'dispatch', { agent, task: 'add a README', repo: REPO, model: 'm-1' });
    const runId = out.runs[0]!.runId;
    await finish(runId, 'succeeded', tenantId);
    return runId;
  }

  describe('dispatch with continueFrom', () => {
    it("queues a child in the parent's repository with the parent's agent and model, one level deeper", async () => {
      const parent = await finishedRun();
      const out = await callOk<Dispatched>(client, 'dispatch', { continueFrom: parent, task: 'now add a licence' });

      expect(out.runs).toEqual([expect.objectContaining({ agent: 'claude', status: 'queued', parentRunId: parent })]);
      const child = await h.stores.runs.get(t.tenantId, out.runs[0]!.runId);
      expect(child).toMatchObject({ repo: REPO, model: 'm-1', task: 'now add a licence', parentRunId: parent, chainRootId: parent, chainDepth: 1 });
      await finish(child!.runId);
      const grandchild = (await callOk<Dispatched>(client, 'dispatch', { continueFrom: child!.runId, task: 'and a changelog' })).runs[0]!;
      expect(await h.stores.runs.get(t.tenantId, grandchild.runId)).toMatchObject({ chainRootId: parent, chainDepth: 2 });
    });

    it('continues every sibling of a fan-out with the same feedback in one call', async () => {
      const fan = await callOk<Dispatched>(client, 'dispatch', { agents: ['claude', 'codex'], task: 'try it', repo: REPO });
      for (const r of fan.runs) await finish(r.runId);
      const out = await callOk<Dispatched>(client, 'dispatch', { continueFrom: fan.runs.map((r) => r.runId), task: 'also handle errors' });

      expect(out.runs.map((r) => [r.agent, r.parentRunId])).toEqual(fan.runs.map((r) => [r.agent, r.runId]));
    });

    it("refuses another tenant's run word for word like a missing one", async () => {
      const other = await h.tenant('enterprise');
      const theirs = await finishedRun('claude', await h.client(other.apiKey), other.tenantId);
      const missing = `run_${'0'.repeat(26)}`;

      const a = await callError(client, 'dispatch', { continueFrom: theirs, task: 'x' });
      const b = await callError(client, 'dispatch', { continueFrom: missing, task: 'x' });
      expect(a.replace(theirs, 'ID')).toBe(b.replace(missing, 'ID'));
      expect(a).toMatch(/not found/);
    });

    it('refuses a run that is still active, and says to wait', async () => {
      const queued = (await callOk<Dispatched>(client, 'dispatch', { agent: 'shell', task: 'echo', repo: REPO })).runs[0]!.runId;
      expect(await callError(client, 'dispatch', { continueFrom: queued, task: 'x' })).toMatch(/still queued.*wait_for_run/);
      await callOk(client, 'cancel_run', { runId: queued });
    });

    it('says clearly when the parent\'s artifacts expired or are gone', async () => {
      const parent = await finishedRun();
      await h.stack.clients.s3.send(new DeleteObjectCommand({ Bucket: h.stores.names.bucket, Key: artifactKeys.artifact(t.tenantId, parent, 'patch.diff') }));
      expect(await callError(client, 'dispatch', { continueFrom: parent, task: 'x' })).toMatch(/artifacts have expired.*dispatch a fresh run/);
    });

    it("refuses a chain deeper than the tier's maxChainDepth", async () => {
      let id = await finishedRun();
      for (let i = 0; i < 2; i++) {
        id = (await callOk<Dispatched>(client, 'dispatch', { continueFrom: id, task: `step ${i}` })).runs[0]!.runId;
        await finish(id);
      }
      expect(await callError(client, 'dispatch', { continueFrom: id, task: 'one more' })).toMatch(/at most 2 follow-ups.*maxChainDepth/);
    });

    it('refuses repo or agents beside continueFrom', async () => {
      const parent = await finishedRun();
      expect(await callError(client, 'dispatch', { continueFrom: parent, task: 'x', repo: REPO })).toMatch(/leave repo and ref out/);
      expect(await callError(client, 'dispatch', { continueFrom: parent, task: 'x', agents: ['claude'] })).toMatch(/leave agents out/);
    });
  });

  describe('get_run and list_runs', () => {
    it('get_run shows the parent and the children; list_runs lists the chain oldest first', async () => {
      const root = await finishedRun();
      const a = (await callOk<Dispatched>(client, 'dispatch', { continueFrom: root, task: 'a' })).runs[0]!.runId;
      await finish(a);
      const b = (await callOk<Dispatched>(client, 'dispatch', { continueFrom: a, task: 'b' })).runs[0]!.runId;

      const got = await callOk(client, 'get_run', { runId: a });
      expect(got.run).toMatchObject({ parentRunId: root, chainRootId: root, chainDepth: 1 });
      expect(got.children).toEqual([expect.objectContaining({ runId: b, status: 'queued' })]);
      const chain = await callOk(client, 'list_runs', { chain: b });
      expect(chain.runs.map((r: { runId: string }) => r.runId)).toEqual([root, a, b]);
      await callOk(client, 'cancel_run', { runId: b });
    });
  });

  describe('retry', () => {
    it('runs a failed follow-up again: same task, same parent, a fresh run that names it', async () => {
      const root = await finishedRun();
      const child = (await callOk<Dispatched>(client, 'dispatch', { continueFrom: root, task: 'fix the tests' })).runs[0]!.runId;
      await finish(child, 'failed');

      const out = await callOk(client, 'retry', { runId: child });
      expect(out.retryOfRunId).toBe(child);
      expect(await h.stores.runs.get(t.tenantId, out.run.runId)).toMatchObject({
        task: 'fix the tests',
        parentRunId: root,
        chainDepth: 1,
        retryOfRunId: child,
        status: 'queued',
      });
      await callOk(client, 'cancel_run', { runId: out.run.runId });
    });

    it('refuses a run that succeeded (and points at continueFrom) or is still active', async () => {
      const done = await finishedRun();
      expect(await callError(client, 'retry', { runId: done })).toMatch(/ended succeeded; retry is for failed or timed_out runs.*continueFrom/);
      const queued = (await callOk<Dispatched>(client, 'dispatch', { agent: 'shell', task: 'echo', repo: REPO })).runs[0]!.runId;
      expect(await callError(client, 'retry', { runId: queued })).toMatch(/is still queued/);
      await callOk(client, 'cancel_run', { runId: queued });
    });
  });
});
