import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../src/core/clock.js';
import { resourceNames } from '../src/aws/resources.js';
import { openStores, type Stores } from '../src/stores/stores.js';
import { resolveTiers } from '../src/config/tiers.js';
import { monthResetsAt, QuotaExceededError, SpendLimitReachedError, UsageStore } from '../src/stores/usage-store.js';
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

  describe('monthly spend', () => {
    // Its own clock: the spend tests move time across a month boundary.
    let spendClock: ManualClock;
    let spend: UsageStore;
    beforeAll(() => {
      spendClock = new ManualClock(Date.UTC(2026, 2, 31, 23, 30));
      spend = new UsageStore({ tableName: resourceNames(db.prefix).tables.usage, doc: db.clients.doc, clock: spendClock });
    });

    it('counts every one of 40 concurrent addSpend calls, with no float drift', async () => {
      const tenantId = testTenant();
      await Promise.all(Array.from({ length: 40 }, () => spend.addSpend(tenantId, 0.1)));
      expect(await spend.monthlySpend(tenantId)).toBe(4); // 40 × 0.1 summed as floats is 4.000000000000001
      await spend.addSpend(tenantId, 0.0000004); // under half a micro-dollar: rounds away
      await spend.addSpend(tenantId, 0.000123456);
      expect(await spend.monthlySpend(tenantId)).toBe(4.000123);
    });

    it('keeps one counter item per tenant and UTC month, in integer micro-dollars, with a TTL', async () => {
      const tenantId = testTenant();
      await spend.addSpend(tenantId, 1.25);
      const out = await db.clients.doc.send(new GetCommand({ TableName: resourceNames(db.prefix).tables.usage, Key: { tenantId, counter: 'spend#2026-03' } }));
      expect(out.Item).toMatchObject({ count: 1_250_000 });
      expect(out.Item?.expiresAt).toBeGreaterThan(Date.UTC(2026, 3, 1) / 1000);
    });

    it('starts from zero in a new month (injected clock), and the old month keeps its total', async () => {
      const tenantId = testTenant();
      await spend.addSpend(tenantId, 3);
      spendClock.advance(60 * 60 * 1000); // 2026-04-01T00:30Z
      expect(await spend.monthlySpend(tenantId)).toBe(0);
      await spend.addSpend(tenantId, 0.5);
      expect(await spend.monthlySpend(tenantId)).toBe(0.5);
      spendClock.advance(-60 * 60 * 1000);
      expect(await spend.monthlySpend(tenantId)).toBe(3);
    });

    it('a tenant never spent anything: 0; zero cost writes nothing; a negative or NaN cost is refused', async () => {
      const tenantId = testTenant();
      expect(await spend.monthlySpend(tenantId)).toBe(0);
      await spend.addSpend(tenantId, 0);
      const out = await db.clients.doc.send(new GetCommand({ TableName: resourceNames(db.prefix).tables.usage, Key: { tenantId, counter: 'spend#2026-03' } }));
      expect(out.Item).toBeUndefined();
      await expect(spend.addSpend(tenantId, -1)).rejects.toThrow(RangeError);
      await expect(spend.addSpend(tenantId, Number.NaN)).rejects.toThrow(RangeError);
    });

    it('monthlySpendFor gives the gateway current() and add() over the same counter', async () => {
      const tenantId = testTenant();
      const monthly = spend.monthlySpendFor(tenantId, 10);
      expect(await monthly.current()).toEqual({ spentUsd: 0, limitUsd: 10 });
      await Promise.all([monthly.add(0.75), spend.monthlySpendFor(tenantId, 10).add(0.25)]);
      expect(await monthly.current()).toEqual({ spentUsd: 1, limitUsd: 10 });
      expect(await spend.monthlySpendFor(tenantId, null).current()).toEqual({ spentUsd: 1, limitUsd: null });
    });

    it('checkMonthlySpend refuses once the limit is reached, with spent, limit and the first of next month', async () => {
      const tenantId = testTenant();
      await spend.addSpend(tenantId, 9.99);
      await expect(spend.checkMonthlySpend(tenantId, 10)).resolves.toBe(9.99);
      await spend.addSpend(tenantId, 0.01);
      const err = await spend.checkMonthlySpend(tenantId, 10).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpendLimitReachedError);
      expect(err).toMatchObject({ name: 'SpendLimitReachedError', spentUsd: 10, limitUsd: 10, resetsAt: '2026-04-01T00:00:00.000Z' });
      expect((err as Error).message).toMatch(/\$10\.00 of \$10\.00/);
      await expect(spend.checkMonthlySpend(tenantId, null)).resolves.toBe(10);
    });

    it('monthResetsAt is the first of the next UTC month, December included', () => {
      expect(monthResetsAt(new Date(Date.UTC(2026, 2, 10, 12)))).toBe('2026-04-01T00:00:00.000Z');
      expect(monthResetsAt(new Date(Date.UTC(2026, 11, 31, 23, 59)))).toBe('2027-01-01T00:00:00.000Z');
    });
  });

  describe('openStores()', () => {
    it('gives the run store the configured tier table: a run ends with its tier’s retention', async () => {
      const custom = openStores({ prefix: db.prefix, tiers: resolveTiers({ pro: { retentionDays: 2 } }) }, db.clients, clock);
      const run = await createRun(custom.runs, testTenant(), { tier: 'pro' });
      const done = await custom.runs.cancelQueued({ tenantId: run.tenantId, runId: run.runId });
      expect(done.expiresAt).toBe(Math.floor(clock.now().getTime() / 1000) + 2 * 86_400);
    });

    it('finish gives the tenant’s active slot back', async () => {
      const tenantId = testTenant();
      await stores.usage.acquireActive(tenantId, 1, 5);
      const run = await createRun(stores.runs, tenantId);
      const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'w', leaseMs: 1000 });
      expect(await stores.usage.getActive(tenantId)).toBe(1);
      await stores.runs.finish({ tenantId, runId: run.runId, leaseToken, status: 'succeeded' });
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
      await stores.runs.expireLease({ tenantId, runId: a.runId, tier: a.tier, observedLeaseToken: lease.leaseToken });
      expect(await stores.usage.getActive(tenantId)).toBe(1);
      const b = await createRun(stores.runs, tenantId);
      await stores.runs.failDeadLettered({ tenantId, runId: b.runId });
      expect(await stores.usage.getActive(tenantId)).toBe(0);
      await stores.usage.acquireActive(tenantId, 1, 5);
      await expect(stores.runs.cancelQueued({ tenantId, runId: b.runId })).rejects.toThrow();
      expect(await stores.usage.getActive(tenantId)).toBe(1);
    });
  });
});
