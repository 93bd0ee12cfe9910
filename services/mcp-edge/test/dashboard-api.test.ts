import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { API, DispatchResponse, FleetResponse, ListRunsResponse, RunDetailResponse } from '@outpost/dashboard-api';
import { artifactKeys, newWorkerId } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { api, readEvents, signIn, sseReader, type BrowserSession } from './helpers/dashboard.js';
import { REPO, startHarness, type Harness } from './helpers/harness.js';

describe('dashboard API', () => {
  let h: Harness;
  let base: string;
  let a: { tenantId: string; apiKey: string };
  let s: BrowserSession;

  beforeAll(async () => {
    h = await startHarness({ dashboard: { pollMs: 100 } });
    base = h.edge.url;
    a = await h.tenant('enterprise');
    s = await signIn(base, a.apiKey);
  });
  afterAll(async () => {
    await h?.close();
  });

  const dispatchRuns = async (body: Record<string, unknown>) => {
    const res = await api(base, s, 'POST', API.dispatch, { repo: REPO, task: 'echo hi', agents: ['shell'], ...body });
    expect(res.status).toBe(200);
    return DispatchResponse.parse(await res.json()).runs;
  };
  const lease = (runId: string) => h.stores.runs.acquireLease({ tenantId: a.tenantId, runId, tier: 'enterprise', workerId: newWorkerId(), leaseMs: 60_000 });
  const put = (key: string, body: string) => h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: key, Body: body }));

  describe('POST /api/dispatch', () => {
    it('queues one run per agent and returns them as RunViews; the fan-out are siblings of each other', async () => {
      const runs = await dispatchRuns({ agents: ['shell', 'shell', 'claude'], tags: ['ticket=ABC-1'], task: 'fan out' });
      expect(runs.map((r) => [r.agent, r.status])).toEqual([
        ['shell', 'queued'],
        ['shell', 'queued'],
        ['claude', 'queued'],
      ]);
      expect(runs[0]!.tags).toEqual({ ticket: 'ABC-1' });
      const res = await api(base, s, 'GET', API.run(runs[1]!.runId));
      const detail = RunDetailResponse.parse(await res.json());
      expect(detail.siblings.map((r) => r.runId).sort()).toEqual([runs[0]!.runId, runs[2]!.runId].sort());
      expect(detail.timeline.map((e) => e.event)).toEqual(['queued']);
      expect(detail.run).not.toHaveProperty('logTail');
      expect(detail.run).not.toHaveProperty('leaseToken');
    });

    it.each([
      [{ agents: [] }, /agents: choose at least one agent/],
      [{ agents: ['nope'] }, /agents\.0/],
      [{ task: '' }, /task: task is empty/],
      [{ tags: ['novalue'] }, /tag must be key=value/],
    ])('answers 400 with the zod issue for %j', async (bad, says) => {
      const res = await api(base, s, 'POST', API.dispatch, { repo: REPO, task: 'x', agents: ['shell'], ...bad });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.message).toMatch(says);
    });

    it("answers 400 with dispatch's own refusal (a repo the worker could not clone)", async () => {
      const res = await api(base, s, 'POST', API.dispatch, { repo: 'not a repo', task: 'x', agents: ['shell'] });
      expect(res.status).toBe(400);
    });
  });

  describe('GET /api/runs', () => {
    it('lists newest first, filters by status, agent, tag and repo, and pages with the cursor', async () => {
      const other = 'https://github.com/example/other.git';
      const mine = await dispatchRuns({ repo: other, agents: ['shell', 'shell', 'shell'], tags: ['page=1'] });
      const get = async (query: string) => ListRunsResponse.parse(await (await api(base, s, 'GET', `${API.runs}?${query}`)).json());
      const first = await get('repo=' + encodeURIComponent(other) + '&limit=2');
      expect(first.runs.map((r) => r.runId)).toEqual([mine[2]!.runId, mine[1]!.runId]);
      expect(first.nextCursor).toBeDefined();
      const second = await get(`repo=${encodeURIComponent(other)}&limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
      expect(second.runs.map((r) => r.runId)).toEqual([mine[0]!.runId]);
      expect(second.nextCursor).toBeUndefined();
      expect((await get('tag=page%3D1')).runs).toHaveLength(3);
      expect((await get('agent=claude')).runs.every((r) => r.agent === 'claude')).toBe(true);
      expect((await get('status=succeeded')).runs).toHaveLength(0);
      // Empty parameters, as a form sends them, filter nothing.
      expect((await get(`status=&agent=&tag=&repo=${encodeURIComponent(other)}&cursor=`)).runs).toHaveLength(3);
    });

    it('answers 400 for a bad filter or a foreign cursor', async () => {
      expect((await api(base, s, 'GET', `${API.runs}?status=bogus`)).status).toBe(400);
      expect((await api(base, s, 'GET', `${API.runs}?cursor=bm90LWEtY3Vyc29y`)).status).toBe(400);
    });
  });

  describe('a run', () => {
    it('streams the log from the start, then new chunks, a status event, and end once terminal; resumes from Last-Event-ID', async () => {
      const [run] = await dispatchRuns({});
      const runId = run!.runId;
      const { leaseToken } = await lease(runId);
      await put(artifactKeys.logChunk(a.tenantId, runId, 0), 'one\n');
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, logChunks: 1 });
      const res = await api(base, s, 'GET', API.runLogStream(runId));
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const reading = readEvents(res, (events) => events.some((e) => e.event === 'end'));
      // The worker goes on writing while the client watches.
      await put(artifactKeys.logChunk(a.tenantId, runId, 1), 'two\nthree\n');
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, logChunks: 2 });
      await put(artifactKeys.logChunk(a.tenantId, runId, 2), 'four\n');
      await h.stores.runs.finish({ tenantId: a.tenantId, runId, leaseToken, status: 'succeeded', exitCode: 0 });
      await h.stores.runs.recordProgress({ tenantId: a.tenantId, runId, leaseToken, logChunks: 3 }).catch(() => undefined);
      const events = await reading;
      const logs = events.filter((e) => e.event === 'log');
      expect(logs.map((e) => e.data.text).join('')).toBe('one\ntwo\nthree\nfour\n');
      expect(logs.map((e) => [e.data.offset, e.id])).toEqual([
        [0, '4'],
        [4, '14'],
        [14, '19'],
      ]);
      expect(events.filter((e) => e.event === 'status').map((e) => e.data.status)).toEqual(expect.arrayContaining(['running', 'succeeded']));
      expect(events[events.length - 1]).toMatchObject({ event: 'end', data: { status: 'succeeded', bytes: 19 } });

      const resumed = await readEvents(await api(base, s, 'GET', API.runLogStream(runId), undefined, { 'Last-Event-ID': '6' }), (ev) =>
        ev.some((e) => e.event === 'end'),
      );
      expect(resumed.filter((e) => e.event === 'log').map((e) => e.data)).toEqual([
        { offset: 6, text: 'o\nthree\n' },
        { offset: 14, text: 'four\n' },
      ]);
    });

    it('downloads the log, the patch and artifacts through the edge; no patch yet is 404', async () => {
      const [run] = await dispatchRuns({});
      const runId = run!.runId;
      const { leaseToken } = await lease(runId);
      expect((await api(base, s, 'GET', API.runPatch(runId))).status).toBe(404);
      await put(artifactKeys.logChunk(a.tenantId, runId, 0), 'live\n');
      const live = await api(base, s, 'GET', API.runLog(runId));
      expect(live.headers.get('content-disposition')).toBe(`attachment; filename="${runId}.log"`);
      expect(await live.text()).toBe('live\n');
      const prefix = artifactKeys.runPrefix(a.tenantId, runId);
      const patch = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
      await put(`${prefix}log.txt`, 'whole log\n');
      await put(`${prefix}patch.diff`, patch);
      await h.stores.runs.finish({
        tenantId: a.tenantId,
        runId,
        leaseToken,
        status: 'succeeded',
        exitCode: 0,
        artifacts: [
          { name: 'log.txt', key: `${prefix}log.txt`, bytes: 10 },
          { name: 'patch.diff', key: `${prefix}patch.diff`, bytes: patch.length },
        ],
      });
      expect(await (await api(base, s, 'GET', API.runLog(runId))).text()).toBe('whole log\n');
      const p = await api(base, s, 'GET', API.runPatch(runId));
      expect(p.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await p.text()).toBe(patch);
      expect(await (await api(base, s, 'GET', API.runArtifact(runId, 'patch.diff'))).text()).toBe(patch);
      expect((await api(base, s, 'GET', API.runArtifact(runId, 'summary.json'))).status).toBe(404);
      const detail = RunDetailResponse.parse(await (await api(base, s, 'GET', API.run(runId))).json());
      expect(detail.artifacts).toEqual([
        { name: 'log.txt', bytes: 10 },
        { name: 'patch.diff', bytes: patch.length },
      ]);
      expect(detail.timeline.map((e) => e.event)).toEqual(['queued', 'started', 'finished']);
      // A finished run cannot be cancelled: 409.
      const cancel = await api(base, s, 'POST', API.runCancel(runId));
      expect(cancel.status).toBe(409);
    });

    it('cancels a queued run at once, and asks a running one to stop', async () => {
      const [queued, running] = await dispatchRuns({ agents: ['shell', 'shell'] });
      await lease(running!.runId);
      const q = await api(base, s, 'POST', API.runCancel(queued!.runId));
      expect(await q.json()).toMatchObject({ outcome: 'cancelled', run: { status: 'cancelled' } });
      const r = await api(base, s, 'POST', API.runCancel(running!.runId));
      expect(await r.json()).toMatchObject({ outcome: 'cancel_requested', run: { status: 'running' } });
    });

    it('promote refuses a run that did not succeed (409), with the promote tool\'s words', async () => {
      const [run] = await dispatchRuns({});
      const res = await api(base, s, 'POST', API.runPromote(run!.runId), { mode: 'branch' });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/only a succeeded run can be promoted/);
    });
  });

  describe('GET /api/runs/events', () => {
    it('sends a run event when one of the tenant\'s runs changes status', async () => {
      const [run] = await dispatchRuns({});
      const reader = sseReader(await api(base, s, 'GET', API.runEvents));
      // The stream says `: ready` once it has taken its first look; a change after that is news.
      await reader.until((events) => events.some((e) => e.event === 'comment' && e.data === 'ready'));
      await lease(run!.runId);
      const events = await reader.until((ev) => ev.some((e) => e.event === 'run' && e.data.runId === run!.runId && e.data.status === 'running'));
      await reader.close();
      expect(events.find((e) => e.data.runId === run!.runId)?.data).toMatchObject({ status: 'running', agent: 'shell' });
    });
  });

  describe('GET /api/fleet', () => {
    it('reports tiers, agents, usage against limits and an hour of history', async () => {
      await dispatchRuns({});
      let fleet: FleetResponse | undefined;
      await until(async () => {
        fleet = FleetResponse.parse(await (await api(base, s, 'GET', API.fleet)).json());
        return (fleet.tiers.find((t) => t.tier === 'enterprise')?.queueDepth ?? 0) > 0;
      });
      expect(fleet!.tiers.map((t) => t.tier)).toEqual(['free', 'pro', 'enterprise']);
      expect(fleet!.agents.map((x) => x.name)).toContain('shell');
      expect(fleet!.usage.tier).toBe('enterprise');
      expect(fleet!.usage.activeRuns.used).toBeGreaterThan(0);
      const points = fleet!.history.points.filter((p) => p.tier === 'enterprise');
      expect(points).toHaveLength(60);
      expect(points[points.length - 1]!.queueDepth).not.toBeNull();
    });
  });
});
