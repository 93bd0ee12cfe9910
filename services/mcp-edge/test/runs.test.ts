import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { artifactKeys, newRunId, newWorkerId } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { notFoundMessage } from '../src/index.js';
import { call, callError, callOk, REPO, startHarness, textOf, type Harness } from './helpers/harness.js';

describe('run tools', () => {
  let h: Harness;
  let a: { tenantId: string; apiKey: string };
  let b: { tenantId: string; apiKey: string };
  let ca: Client;
  let cb: Client;

  beforeAll(async () => {
    h = await startHarness();
    a = await h.tenant('enterprise');
    b = await h.tenant('enterprise');
    ca = await h.client(a.apiKey);
    cb = await h.client(b.apiKey);
  });
  afterAll(async () => {
    await h?.close();
  });

  const dispatchOne = async (client: Client, extra: Record<string, unknown> = {}): Promise<string> => {
    const out = await callOk(client, 'dispatch', { agent: 'shell', task: 'echo hi', repo: REPO, ...extra });
    return out.runs[0].runId as string;
  };
  /** Plays a worker: takes the lease of a queued run. */
  const lease = async (tenantId: string, runId: string) =>
    h.stores.runs.acquireLease({ tenantId, runId, tier: 'enterprise', workerId: newWorkerId(), leaseMs: 60_000 });
  const put = (key: string, body: string) =>
    h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: key, Body: body }));

  describe('get_run', () => {
    it('returns the run without lease internals, its log tail and summary', async () => {
      const runId = await dispatchOne(ca);
      const { leaseToken } = await lease(a.tenantId, runId);
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, logTail: 'one\ntwo\nthree\n' });
      const out = await callOk(ca, 'get_run', { runId, logLines: 2 });
      expect(out.run).toMatchObject({ runId, status: 'running', attempt: 1, agent: 'shell' });
      for (const hidden of ['leaseToken', 'tenantStatus', 'activePk', 'version', 'logTail']) expect(out.run).not.toHaveProperty(hidden);
      expect(out.log).toEqual({ lines: ['two', 'three'], source: 'tail' });
    });

    it('reads the newest log chunks from S3 when more lines are asked than the tail holds', async () => {
      const runId = await dispatchOne(ca);
      const { leaseToken } = await lease(a.tenantId, runId);
      const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
      await put(artifactKeys.logChunk(a.tenantId, runId, 0), `${lines.slice(0, 150).join('\n')}\n`);
      await put(artifactKeys.logChunk(a.tenantId, runId, 1), `${lines.slice(150).join('\n')}\n`);
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, logTail: `${lines.slice(-5).join('\n')}\n`, logChunks: 2 });
      const out = await callOk(ca, 'get_run', { runId, logLines: 200 });
      expect(out.log.source).toBe('chunks');
      expect(out.log.lines).toEqual(lines.slice(-200));
    });

    it('gives presigned artifact URLs that download the artifact, and the summary', async () => {
      const runId = await dispatchOne(ca);
      const { leaseToken } = await lease(a.tenantId, runId);
      const key = artifactKeys.artifact(a.tenantId, runId, 'patch.diff');
      await put(key, 'diff --git a/x b/x\n');
      await h.stores.runs.finish({
        tenantId: a.tenantId,
        runId,
        leaseToken,
        status: 'succeeded',
        exitCode: 0,
        summary: { durationMs: 1200, exitCode: 0, filesChanged: 1, insertions: 2, deletions: 0 },
        artifacts: [{ name: 'patch.diff', key, bytes: 19 }],
        logTail: 'done\n',
      });
      const out = await callOk(ca, 'get_run', { runId });
      expect(out.run.status).toBe('succeeded');
      expect(out.run.summary).toMatchObject({ filesChanged: 1, insertions: 2 });
      expect(out.artifacts).toHaveLength(1);
      expect(out.artifacts[0]).toMatchObject({ name: 'patch.diff', bytes: 19 });
      expect(out.artifacts[0].url).toMatch(/X-Amz-Expires=900/);
      const res = await fetch(out.artifacts[0].url);
      expect(await res.text()).toBe('diff --git a/x b/x\n');
    });

    it('shows the run\'s maxCostUsd and its spend: live while it runs, final after; list_runs items carry it too', async () => {
      const runId = await dispatchOne(ca, { maxCostUsd: 4 });
      const before = await callOk(ca, 'get_run', { runId });
      expect(before.run.maxCostUsd).toBe(4);
      expect(before.run).not.toHaveProperty('spend');
      const { leaseToken } = await lease(a.tenantId, runId);
      const live = { costUsd: 0.012, calls: 2, inputTokens: 1500, outputTokens: 220, cacheReadTokens: 1000, cacheWriteTokens: 0 };
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, spend: live });
      const running = await call(ca, 'get_run', { runId });
      expect((running.structuredContent as Record<string, any>).run).toMatchObject({ status: 'running', maxCostUsd: 4, spend: live });
      expect(textOf(running)).toContain('spent $0.0120 of $4.00 (2 model calls)');
      const final = { ...live, costUsd: 4.0021, calls: 31 };
      await h.stores.runs.finish({
        tenantId: a.tenantId,
        runId,
        leaseToken,
        status: 'failed',
        error: { code: 'budget_exceeded', message: "the run's budget (maxCostUsd) of $4.00 is reached: $4.0021 spent" },
        spend: final,
      });
      const ended = await call(ca, 'get_run', { runId });
      expect((ended.structuredContent as Record<string, any>).run).toMatchObject({ status: 'failed', spend: final, error: { code: 'budget_exceeded' } });
      expect(textOf(ended)).toContain('spent $4.0021 of $4.00 (31 model calls)');
      const listed = await callOk(ca, 'list_runs', { limit: 5 });
      expect(listed.runs.find((r: { runId: string }) => r.runId === runId)?.spend?.costUsd).toBe(4.0021);
    });

    it('refuses logLines over 500 and a malformed run id', async () => {
      expect(await callError(ca, 'get_run', { runId: newRunId(), logLines: 501 })).toMatch(/500/);
      expect(await callError(ca, 'get_run', { runId: 'nope' })).toMatch(/run_/);
    });
  });

  describe('list_runs', () => {
    it('lists newest first with filters and a cursor bound to its tenant', async () => {
      const t = await h.tenant('enterprise');
      const c = await h.client(t.apiKey);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await dispatchOne(c, { tags: { batch: i % 2 === 0 ? 'even' : 'odd' } }));
      const claudeRun = await dispatchOne(c, { agent: 'claude' });
      const page1 = await callOk(c, 'list_runs', { limit: 4 });
      expect(page1.runs.map((r: { runId: string }) => r.runId)).toEqual([claudeRun, ...ids.slice(2).reverse()]);
      expect(page1.nextCursor).toEqual(expect.any(String));
      const page2 = await callOk(c, 'list_runs', { limit: 4, cursor: page1.nextCursor });
      expect(page2.runs.map((r: { runId: string }) => r.runId)).toEqual(ids.slice(0, 2).reverse());
      expect(page2.nextCursor).toBeUndefined();
      const even = await callOk(c, 'list_runs', { tag: 'batch=even' });
      expect(even.runs.map((r: { runId: string }) => r.runId)).toEqual([ids[4], ids[2], ids[0]]);
      const claude = await callOk(c, 'list_runs', { agent: 'claude' });
      expect(claude.runs.map((r: { runId: string }) => r.runId)).toEqual([claudeRun]);
      const queued = await callOk(c, 'list_runs', { status: 'queued' });
      expect(queued.runs).toHaveLength(6);
      const none = await callOk(c, 'list_runs', { since: new Date(Date.now() + 60_000).toISOString() });
      expect(none.runs).toEqual([]);
      // Another tenant's cursor is refused, not reinterpreted.
      expect(await callError(ca, 'list_runs', { limit: 4, cursor: page1.nextCursor })).toMatch(/invalid cursor/);
    });

    it.each([
      [{ limit: 101 }, /100/],
      [{ tag: 'no-equals' }, /key=value/],
      [{ since: 'yesterday' }, /ISO-8601/],
      [{ status: 'done' }, /status/],
      [{ cursor: 'garbage' }, /invalid cursor/],
    ])('refuses %p', async (args, message) => {
      expect(await callError(ca, 'list_runs', args)).toMatch(message);
    });
  });

  describe('cancel_run', () => {
    it('cancels a queued run at once', async () => {
      const runId = await dispatchOne(ca);
      const out = await callOk(ca, 'cancel_run', { runId, reason: 'changed my mind' });
      expect(out).toMatchObject({ outcome: 'cancelled', status: 'cancelled' });
      const run = (await h.stores.runs.get(a.tenantId, runId))!;
      expect(run.cancelReason).toBe('changed my mind');
      // It expires like every ended run: its tier's retention from the cancel.
      expect(run.expiresAt).toBe(Math.floor(Date.parse(run.finishedAt!) / 1000) + h.stack.config.tiers[run.tier].retentionDays * 86_400);
    });

    it('requests cancellation of a running run', async () => {
      const runId = await dispatchOne(ca);
      await lease(a.tenantId, runId);
      const out = await callOk(ca, 'cancel_run', { runId });
      expect(out).toMatchObject({ outcome: 'cancel_requested', status: 'running' });
      expect((await h.stores.runs.get(a.tenantId, runId))?.cancelRequestedAt).toEqual(expect.any(String));
    });

    it('leaves an ended run unchanged and says so', async () => {
      const runId = await dispatchOne(ca);
      await callOk(ca, 'cancel_run', { runId });
      const before = await h.stores.runs.get(a.tenantId, runId);
      const result = await call(ca, 'cancel_run', { runId });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ outcome: 'already_ended', status: 'cancelled' });
      expect(textOf(result)).toMatch(/already ended/);
      expect((await h.stores.runs.get(a.tenantId, runId))?.version).toBe(before?.version);
    });
  });

  describe('wait_for_run', () => {
    it('returns when the run ends and sends progress notifications meanwhile', async () => {
      const runId = await dispatchOne(ca);
      const progress: { progress: number; message?: string }[] = [];
      const waiting = ca.callTool({ name: 'wait_for_run', arguments: { runId, timeoutSeconds: 60 } }, undefined, {
        onprogress: (p) => void progress.push(p),
        timeout: 90_000,
      });
      await until(() => progress.length > 0);
      const { leaseToken } = await lease(a.tenantId, runId);
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, logTail: 'compiling\n' });
      await until(() => progress.some((p) => p.message?.includes('running')));
      await h.stores.runs.finish({ tenantId: a.tenantId, runId, leaseToken, status: 'failed', exitCode: 2, error: { code: 'agent_failed', message: 'exit 2' } });
      const result = (await waiting) as { structuredContent: Record<string, any>; isError?: boolean };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ ended: true, run: { runId, status: 'failed', error: { code: 'agent_failed' } } });
      expect(progress[0]?.message).toMatch(/^queued/);
      expect(progress.some((p) => /running.*compiling/.test(p.message ?? ''))).toBe(true);
    });

    it('returns ended=false when time is up', async () => {
      const runId = await dispatchOne(ca);
      const out = await callOk(ca, 'wait_for_run', { runId, timeoutSeconds: 1 });
      expect(out).toMatchObject({ ended: false, run: { status: 'queued' } });
      expect(out.waitedMs).toBeGreaterThanOrEqual(900);
    });

    it('refuses timeoutSeconds over 300', async () => {
      expect(await callError(ca, 'wait_for_run', { runId: newRunId(), timeoutSeconds: 301 })).toMatch(/300/);
    });
  });

  describe('fleet_status', () => {
    it('reports queues, workers, agents and the caller’s own usage, and names no tenant', async () => {
      const t = await h.tenant('pro');
      const c = await h.client(t.apiKey);
      await dispatchOne(c);
      await h.stores.workers.heartbeat(
        { tier: 'pro', workerId: newWorkerId(), state: 'busy', currentRuns: ['run_x'], capacity: 1, agents: ['claude', 'shell'], agentVersions: { claude: '2.1.329 (Claude Code)', shell: 'unknown' }, version: 't', startedAt: new Date().toISOString() },
        60,
      );
      await h.stores.workers.heartbeat(
        { tier: 'pro', workerId: newWorkerId(), state: 'idle', currentRuns: [], capacity: 1, agents: ['codex', 'aider', 'claude'], agentVersions: { codex: 'codex-cli 0.169.0', aider: 'aider 0.86.2', claude: '2.1.400 (Claude Code)' }, version: 't', startedAt: new Date().toISOString() },
        60,
      );
      await h.stores.workers.putFleetState({ tier: 'enterprise', desired: 3, running: 2, pending: 1, min: 1, max: 50, source: 'local' });
      await h.stores.usage.addSpend(t.tenantId, 1.5);
      await h.stores.usage.addSpend(t.tenantId, 0.25);
      const result = await call(c, 'fleet_status');
      const out = result.structuredContent as Record<string, any>;
      const pro = out.tiers.find((x: { tier: string }) => x.tier === 'pro');
      expect(pro.queue.visible).toBeGreaterThanOrEqual(1);
      expect(pro.workers).toMatchObject({ desired: 2, running: 2, busy: 1, idle: 1, source: 'heartbeats' });
      expect(pro.oldestQueuedAgeSeconds).toEqual(expect.any(Number));
      const ent = out.tiers.find((x: { tier: string }) => x.tier === 'enterprise');
      expect(ent.workers).toMatchObject({ desired: 3, running: 2, pending: 1, source: 'local' });
      expect(out.agentsAvailable).toEqual(['aider', 'claude', 'codex', 'shell']);
      // Versions per agent (two during a rollout); aider says it was never run against its real CLI.
      expect(out.agents).toEqual([
        { agent: 'aider', versions: ['aider 0.86.2'], note: expect.stringMatching(/^untested against the real CLI/) },
        { agent: 'claude', versions: ['2.1.329 (Claude Code)', '2.1.400 (Claude Code)'] },
        { agent: 'codex', versions: ['codex-cli 0.169.0'] },
        { agent: 'shell', versions: ['unknown'] },
      ]);
      expect(out.usage).toMatchObject({ tier: 'pro', activeRuns: { used: 1, limit: 5 }, runsToday: { used: 1, limit: 500 } });
      const now = new Date();
      const resetsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
      expect(out.usage.spendThisMonth).toEqual({ usd: 1.75, limitUsd: 500, resetsAt });
      expect(textOf(result)).toContain(`$1.75 of $500.00 spent this month (resets ${resetsAt})`);
      const everything = JSON.stringify(result);
      for (const other of [a.tenantId, b.tenantId]) expect(everything).not.toContain(other);
      expect(everything).not.toContain('ten_');
    });
  });

  describe('fleet_status spend', () => {
    it('an unlimited tier reports limitUsd null, and a tenant that spent nothing 0', async () => {
      const t = await h.tenant('enterprise');
      const c = await h.client(t.apiKey);
      const result = await call(c, 'fleet_status');
      expect((result.structuredContent as Record<string, any>).usage.spendThisMonth).toEqual({ usd: 0, limitUsd: null, resetsAt: expect.stringMatching(/-01T00:00:00\.000Z$/) });
      expect(textOf(result)).toContain('$0.00 spent this month (no limit)');
    });
  });

  describe('cross-tenant isolation', () => {
    it('tenant B cannot get, cancel or wait on A’s run, and sees the same words as for a missing run', async () => {
      const runId = await dispatchOne(ca);
      const missing = newRunId();
      const missingText = await callError(cb, 'get_run', { runId: missing });
      expect(missingText).toBe(notFoundMessage(missing));
      for (const [tool, args] of [
        ['get_run', { runId }],
        ['cancel_run', { runId }],
        ['wait_for_run', { runId, timeoutSeconds: 1 }],
      ] as const) {
        const text = await callError(cb, tool, args);
        expect(text).toBe(notFoundMessage(runId));
        expect(text).toBe(missingText.replace(missing, runId));
      }
      expect((await h.stores.runs.get(a.tenantId, runId))?.status).toBe('queued');
    });

    it('tenant B lists none of A’s runs, with or without filters', async () => {
      const runId = await dispatchOne(ca, { tags: { secret: 'yes' } });
      for (const args of [{}, { status: 'queued' }, { agent: 'shell' }, { tag: 'secret=yes' }]) {
        const out = await callOk(cb, 'list_runs', { ...args, limit: 100 });
        expect(out.runs.map((r: { runId: string }) => r.runId)).not.toContain(runId);
        expect(JSON.stringify(out)).not.toContain(a.tenantId);
      }
    });
  });
});
