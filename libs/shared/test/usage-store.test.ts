import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../src/clock.js';
import { resourceNames } from '../src/resources.js';
import { openStores, type Stores } from '../src/stores.js';
import { QuotaExceededError, UsageStore } from '../src/usage-store.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';
import { createRun, testTenant } from './helpers/runs.js';

let db: TestDynamo;
let clock: ManualClock;
let usage: UsageStore;
let stores: Stores;

beforeAll(async () => {
  db = await startTestDynamo();
  clock = new ManualClock(Date.UTC(2026, 2, 10, 23, 30));
  usage = new UsageStore({ tableName: resourceNames(db.prefix).tables.usage, doc: db.clients.doc, clock });
  stores = openStores({ prefix: db.prefix }, db.clients, clock);
});
afterAll(async () => {
  await db?.stop();
});

describe('UsageStore', () => {
  describe('acquireActive()', () => {
    it('never overshoots under 20 concurrent acquisitions (limit 5 → exactly 5 succeed)', async () => {
      const tenantId = testTenant();
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => usage.acquireActive(tenantId, 1, 5)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).toHaveLength(5);
      expect(ok.map((r) => (r as PromiseFulfilledResult<number>).value).sort()).toEqual([1, 2, 3, 4, 5]);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(QuotaExceededError);
      expect(await usage.getActive(tenantId)).toBe(5);
    });

    it('marks the tenant for counter correction when its counter leaves zero, and only then', async () => {
      const tenantId = testTenant();
      await usage.acquireActive(tenantId, 2, 5);
      expect(await usage.marks.list()).toContain(tenantId);
      await usage.marks.unmark(tenantId, clock.now().toISOString());
      await usage.acquireActive(tenantId, 1, 5); // 2 → 3: not a new activity, no new mark
      expect(await usage.marks.list()).not.toContain(tenantId);
      await usage.releaseActive(tenantId, 3);
      await usage.acquireActive(tenantId, 1, 5); // 0 → 1 again
      expect(await usage.marks.list()).toContain(tenantId);
    });

    it('refusal carries limit, max, used and resetsAt (null: when runs end)', async () => {
      const tenantId = testTenant();
      await usage.acquireActive(tenantId, 2, 3);
      const err = await usage.acquireActive(tenantId, 2, 3).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QuotaExceededError);
      expect(err).toMatchObject({ name: 'QuotaExceededError', limit: 'activeRuns', max: 3, used: 2, resetsAt: null });
      expect((err as Error).message).toContain('2 of 3');
      expect(await usage.getActive(tenantId)).toBe(2);
    });

    it('a request larger than the limit is refused even with nothing used', async () => {
      const tenantId = testTenant();
      await expect(usage.acquireActive(tenantId, 4, 3)).rejects.toMatchObject({ limit: 'activeRuns', used: 0, max: 3 });
    });
  });

  describe('releaseActive()', () => {
    it('gives slots back and clamps at 0', async () => {
      const tenantId = testTenant();
      await usage.acquireActive(tenantId, 2, 5);
      await usage.releaseActive(tenantId);
      expect(await usage.getActive(tenantId)).toBe(1);
      await usage.releaseActive(tenantId, 3);
      expect(await usage.getActive(tenantId)).toBe(0);
      await usage.releaseActive(tenantId);
      expect(await usage.getActive(tenantId)).toBe(0);
      await usage.releaseActive(testTenant()); // never acquired
    });

    it('concurrent releases and acquisitions keep the counter exact', async () => {
      const tenantId = testTenant();
      await usage.acquireActive(tenantId, 10, 20);
      await Promise.all([
        ...Array.from({ length: 10 }, () => usage.releaseActive(tenantId)),
        ...Array.from({ length: 5 }, () => usage.acquireActive(tenantId, 1, 20)),
      ]);
      expect(await usage.getActive(tenantId)).toBe(5);
    });
  });

  describe('daily counter', () => {
    it('counts per UTC day, refuses past the max with resetsAt at the next midnight, and resets by day', async () => {
      const tenantId = testTenant();
      expect(await usage.acquireDaily(tenantId, 2, 3)).toBe(2);
      expect(await usage.acquireDaily(tenantId, 1, 3)).toBe(3);
      const err = await usage.acquireDaily(tenantId, 1, 3).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QuotaExceededError);
      expect(err).toMatchObject({ limit: 'runsPerDay', max: 3, used: 3, resetsAt: '2026-03-11T00:00:00.000Z' });
      expect(await usage.getDaily(tenantId)).toBe(3);
      clock.advance(60 * 60 * 1000); // past midnight UTC
      expect(await usage.getDaily(tenantId)).toBe(0);
      expect(await usage.acquireDaily(tenantId, 1, 3)).toBe(1);
      clock.advance(-60 * 60 * 1000);
      expect(await usage.getDaily(tenantId)).toBe(3);
      clock.advance(60 * 60 * 1000);
    });

    it('an unlimited day only counts; the counter item carries a TTL', async () => {
      const tenantId = testTenant();
      for (let i = 1; i <= 3; i++) expect(await usage.acquireDaily(tenantId, 1, null)).toBe(i);
      const day = clock.now().toISOString().slice(0, 10);
      const out = await db.clients.doc.send(new GetCommand({ TableName: resourceNames(db.prefix).tables.usage, Key: { tenantId, counter: `day#${day}` } }));
      expect(typeof out.Item?.expiresAt).toBe('number');
    });

    it('releaseDaily gives back and never goes negative', async () => {
      const tenantId = testTenant();
      await usage.acquireDaily(tenantId, 2, 10);
      await usage.releaseDaily(tenantId, 1);
      expect(await usage.getDaily(tenantId)).toBe(1);
      await usage.releaseDaily(tenantId, 5);
      expect(await usage.getDaily(tenantId)).toBeGreaterThanOrEqual(0);
    });
  });

  describe('openStores()', () => {
    it('finish gives the tenant’s active slot back', async () => {
      const tenantId = testTenant();
      await stores.usage.acquireActive(tenantId, 1, 5);
      const run = await createRun(stores.runs, tenantId);
      const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'w', leaseMs: 1000 });
      expect(await stores.usage.getActive(tenantId)).toBe(1);
      await stores.runs.finish({ tenantId, runId: run.runId, leaseToken, status: 'succeeded', retentionDays: 7 });
      expect(await stores.usage.getActive(tenantId)).toBe(0);
    });

    it('cancelQueued gives the slot back; release (back to queued) does not', async () => {
      const tenantId = testTenant();
      await stores.usage.acquireActive(tenantId, 2, 5);
      const a = await createRun(stores.runs, tenantId);
      const b = await createRun(stores.runs, tenantId);
      const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId: b.runId, tier: b.tier, workerId: 'w', leaseMs: 1000 });
      await stores.runs.release({ tenantId, runId: b.runId, tier: b.tier, leaseToken, countAttempt: false });
      expect(await stores.usage.getActive(tenantId)).toBe(2);
      await stores.runs.cancelQueued({ tenantId, runId: a.runId });
      expect(await stores.usage.getActive(tenantId)).toBe(1);
    });

    it('expireLease to failed and failDeadLettered give the slot back; a refused transition does not', async () => {
      const tenantId = testTenant();
      await stores.usage.acquireActive(tenantId, 2, 5);
      const a = await createRun(stores.runs, tenantId, { maxAttempts: 1 });
      const lease = await stores.runs.acquireLease({ tenantId, runId: a.runId, tier: a.tier, workerId: 'w', leaseMs: 1000 });
      clock.advance(2000);
      await stores.runs.expireLease({ tenantId, runId: a.runId, tier: a.tier, observedLeaseToken: lease.leaseToken, retentionDays: 7 });
      expect(await stores.usage.getActive(tenantId)).toBe(1);
      const b = await createRun(stores.runs, tenantId);
      await stores.runs.failDeadLettered({ tenantId, runId: b.runId, retentionDays: 7 });
      expect(await stores.usage.getActive(tenantId)).toBe(0);
      await stores.usage.acquireActive(tenantId, 1, 5);
      await expect(stores.runs.cancelQueued({ tenantId, runId: b.runId })).rejects.toThrow();
      expect(await stores.usage.getActive(tenantId)).toBe(1);
    });
  });
});
