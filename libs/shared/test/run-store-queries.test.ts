import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { ManualClock } from '../src/core/clock.js';
import { InvalidCursorError } from '../src/core/errors.js';
import { type TestStack, createRun, runIdAt, testTenant } from '@outpost/testkit';
import type { RunStore } from '../src/stores/run-store.js';
import type { RunRecord } from '../src/schemas/run.js';
import { LEASE_MS, finishInput, expectIndexAttrs, leaseRun, activeIdsOf, startRunStoreSuite } from './helpers/run-store.js';

let db: TestStack;
let clock: ManualClock;
let runs: RunStore;

beforeAll(async () => ({ db, clock, runs } = await startRunStoreSuite()));
afterAll(async () => {
  await db?.stop();
});

const leased = (tenantId: string, overrides: Parameters<typeof leaseRun>[2] = {}) => leaseRun(runs, tenantId, overrides);
const activeIds = (tier: RunRecord['tier'], status: 'queued' | 'running') => activeIdsOf(runs, tier, status);

describe('RunStore', () => {
  describe('list()', () => {
    const tenantA = testTenant('lista');
    const tenantB = testTenant('listb');
    const created: RunRecord[] = [];
    const t0 = Date.UTC(2026, 0, 2);

    beforeAll(async () => {
      for (let i = 0; i < 57; i++) {
        const run = await createRun(
          runs,
          tenantA,
          { runId: runIdAt(t0 + i * 60_000), agent: i % 3 === 0 ? 'claude' : 'shell', tags: { parity: i % 2 === 0 ? 'even' : 'odd' } },
        );
        created.push(run);
      }
      // some running, some cancelled
      for (let i = 0; i < 57; i += 5) {
        await runs.acquireLease({ tenantId: tenantA, runId: created[i]!.runId, tier: 'pro', workerId: 'w', leaseMs: LEASE_MS });
      }
      for (let i = 1; i < 57; i += 7) if (i % 5 !== 0) await runs.cancelQueued({ tenantId: tenantA, runId: created[i]!.runId });
      await createRun(runs, tenantB);
    });

    async function all(query: Parameters<RunStore['list']>[1] = {}, tenantId = tenantA): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await runs.list(tenantId, { ...query, ...(cursor ? { cursor } : {}) });
        expect(page.runs.length).toBeLessThanOrEqual(query.limit ?? 20);
        ids.push(...page.runs.map((r) => r.runId));
        cursor = page.nextCursor;
        pages++;
        if (pages > 100) throw new Error('paging does not end');
      } while (cursor);
      return { ids, pages };
    }

    const newestFirst = (rs: RunRecord[]) => rs.map((r) => r.runId).sort().reverse();

    it('returns every run exactly once, newest first (57 runs, limit 10)', async () => {
      const { ids, pages } = await all({ limit: 10 });
      expect(ids).toEqual(newestFirst(created));
      expect(pages).toBe(6);
    });

    it('a page size that divides the total gives no empty last page', async () => {
      const { ids, pages } = await all({ limit: 19 });
      expect(ids).toEqual(newestFirst(created));
      expect(pages).toBe(3);
      const filtered = await all({ limit: 10, status: 'running' }); // 12 running runs
      expect(filtered.ids).toHaveLength(12);
    });

    it.each([
      ['status queued', { status: 'queued' as const }, (r: RunRecord, i: number) => i % 5 !== 0 && (i - 1) % 7 !== 0],
      ['status running', { status: 'running' as const }, (_r: RunRecord, i: number) => i % 5 === 0],
      ['status cancelled', { status: 'cancelled' as const }, (_r: RunRecord, i: number) => (i - 1) % 7 === 0 && i % 5 !== 0],
      ['agent claude', { agent: 'claude' as const }, (r: RunRecord) => r.agent === 'claude'],
      ['tag parity=even', { tag: 'parity=even' }, (_r: RunRecord, i: number) => i % 2 === 0],
      ['since the 30th', { since: new Date(t0 + 30 * 60_000) }, (_r: RunRecord, i: number) => i >= 30],
      ['status queued + agent shell', { status: 'queued' as const, agent: 'shell' as const }, (r: RunRecord, i: number) => r.agent === 'shell' && i % 5 !== 0 && (i - 1) % 7 !== 0],
      ['agent claude + tag + since', { agent: 'claude' as const, tag: 'parity=odd', since: new Date(t0 + 10 * 60_000) }, (r: RunRecord, i: number) => r.agent === 'claude' && i % 2 === 1 && i >= 10],
    ])('%s: paging returns exactly the matching runs, newest first', async (_label, query, match) => {
      const expected = newestFirst(created.filter((r, i) => match(r, i)));
      expect(expected.length).toBeGreaterThan(0);
      for (const limit of [3, 10]) {
        const { ids } = await all({ ...query, limit });
        expect(ids).toEqual(expected);
      }
    });

    it('a cursor from tenant A is refused for tenant B', async () => {
      const page = await runs.list(tenantA, { limit: 5 });
      expect(page.nextCursor).toBeDefined();
      await expect(runs.list(tenantB, { limit: 5, cursor: page.nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('a cursor for another filter, and garbage, are refused', async () => {
      const page = await runs.list(tenantA, { limit: 5 });
      await expect(runs.list(tenantA, { limit: 5, status: 'queued', cursor: page.nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(runs.list(tenantA, { cursor: 'not a cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
      const tagged = await runs.list(tenantA, { limit: 5, tag: 'parity=even' });
      await expect(runs.list(tenantA, { limit: 5, tag: 'parity=odd', cursor: tagged.nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
      const since = await runs.list(tenantA, { limit: 5, since: new Date(t0) });
      await expect(runs.list(tenantA, { limit: 5, cursor: since.nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('tenant B sees only its own run', async () => {
      const { ids } = await all({}, tenantB);
      expect(ids).toHaveLength(1);
    });
  });

  describe('active index', () => {
    it('listActive sees a run only while queued or running, under the right status', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId, { tier: 'enterprise' });
      expect(await activeIds('enterprise', 'queued')).toContain(run.runId);
      const { leaseToken } = await runs.acquireLease({ tenantId, runId: run.runId, tier: 'enterprise', workerId: 'w', leaseMs: LEASE_MS });
      expect(await activeIds('enterprise', 'queued')).not.toContain(run.runId);
      expect(await activeIds('enterprise', 'running')).toContain(run.runId);
      const back = await runs.release({ tenantId, runId: run.runId, tier: 'enterprise', leaseToken, countAttempt: false });
      expectIndexAttrs(back);
      expect(await activeIds('enterprise', 'queued')).toContain(run.runId);
      expect(await activeIds('enterprise', 'running')).not.toContain(run.runId);
      const again = await runs.acquireLease({ tenantId, runId: run.runId, tier: 'enterprise', workerId: 'w', leaseMs: LEASE_MS });
      await runs.finish(finishInput(again.run, again.leaseToken, 'succeeded'));
      expect(await activeIds('enterprise', 'queued')).not.toContain(run.runId);
      expect(await activeIds('enterprise', 'running')).not.toContain(run.runId);
    });

    it('listActive before= finds expired leases only', async () => {
      const tenantId = testTenant();
      const { run } = await leased(tenantId, { tier: 'free' });
      expect((await runs.listActive({ tier: 'free', status: 'running', before: clock.now() })).runs.map((r) => r.runId)).not.toContain(run.runId);
      clock.advance(LEASE_MS + 1);
      expect((await runs.listActive({ tier: 'free', status: 'running', before: clock.now() })).runs.map((r) => r.runId)).toContain(run.runId);
    });

    it('countByStatus follows transitions', async () => {
      const tenantId = testTenant();
      const a = await createRun(runs, tenantId);
      await createRun(runs, tenantId);
      await runs.cancelQueued({ tenantId, runId: a.runId });
      expect(await runs.countByStatus(tenantId, 'queued')).toBe(1);
      expect(await runs.countByStatus(tenantId, 'cancelled')).toBe(1);
    });
  });
});
