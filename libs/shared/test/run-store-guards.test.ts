import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { ManualClock } from '../src/core/clock.js';
import { LeaseLostError, LeaseRefusedError, TransitionRefusedError } from '../src/core/errors.js';
import { resourceNames } from '../src/aws/resources.js';
import { type TestStack, createRun, testTenant } from '@outpost/testkit';
import { RunStore } from '../src/stores/run-store.js';
import { isTerminal, type RunRecord, type TerminalStatus } from '../src/schemas/run.js';
import { resolveTiers } from '../src/config/tiers.js';
import { LEASE_MS, finishInput, leaseRun, startRunStoreSuite } from './helpers/run-store.js';

let db: TestStack;
let clock: ManualClock;
let runs: RunStore;

beforeAll(async () => ({ db, clock, runs } = await startRunStoreSuite()));
afterAll(async () => {
  await db?.stop();
});

const leased = (tenantId: string, overrides: Parameters<typeof leaseRun>[2] = {}) => leaseRun(runs, tenantId, overrides);

describe('RunStore', () => {
  describe('retention: every terminal transition sets expiresAt from the run’s tier', () => {
    // Its own tier table, so the store (not a caller) is what decides: enterprise keeps runs 3 days here.
    const tiers = resolveTiers({ enterprise: { retentionDays: 3 } });
    let store: RunStore;
    beforeAll(() => {
      store = new RunStore({ tableName: resourceNames(db.config.prefix).tables.runs, doc: db.clients.doc, clock, tiers });
    });
    const lease = async (tier: RunRecord['tier'], maxAttempts = 3) => {
      const run = await createRun(store, testTenant(), { tier, maxAttempts });
      return store.acquireLease({ tenantId: run.tenantId, runId: run.runId, tier, workerId: 'wkr_a', leaseMs: LEASE_MS });
    };
    const endings: Record<string, (tier: RunRecord['tier']) => Promise<RunRecord>> = {
      'finish (running → succeeded)': async (tier) => {
        const { run, leaseToken } = await lease(tier);
        return store.finish({ tenantId: run.tenantId, runId: run.runId, leaseToken, status: 'succeeded' });
      },
      'cancelQueued (queued → cancelled)': async (tier) => {
        const run = await createRun(store, testTenant(), { tier });
        return store.cancelQueued({ tenantId: run.tenantId, runId: run.runId });
      },
      'expireLease (running → failed, no attempt left)': async (tier) => {
        const { run, leaseToken } = await lease(tier, 1);
        clock.advance(LEASE_MS + 1);
        return store.expireLease({ tenantId: run.tenantId, runId: run.runId, tier, observedLeaseToken: leaseToken });
      },
      'failDeadLettered (queued → failed)': async (tier) => {
        const run = await createRun(store, testTenant(), { tier });
        return store.failDeadLettered({ tenantId: run.tenantId, runId: run.runId });
      },
    };

    it.each(Object.keys(endings).flatMap((how) => (['free', 'pro', 'enterprise'] as const).map((tier) => [how, tier] as const)))(
      '%s, tier %s',
      async (how, tier) => {
        const done = await endings[how]!(tier);
        expect(isTerminal(done.status)).toBe(true);
        expect(done.expiresAt).toBe(Math.floor(clock.now().getTime() / 1000) + tiers[tier].retentionDays * 86_400);
        expect((await store.require(done.tenantId, done.runId)).expiresAt).toBe(done.expiresAt);
      },
    );
  });

  describe('terminal runs never change status', () => {
    const terminal: TerminalStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
    const cases = terminal.flatMap((status) =>
      ['acquireLease', 'renewLease', 'recordProgress', 'finish', 'release', 'expireLease', 'cancelQueued', 'requestCancel', 'failDeadLettered'].map(
        (method) => [status, method] as const,
      ),
    );

    async function terminalRun(status: TerminalStatus): Promise<{ run: RunRecord; leaseToken: string }> {
      const tenantId = testTenant();
      if (status === 'cancelled') {
        // cancelled from queued never had a lease; give it one from a previous lease for the fenced calls
        const { run, leaseToken } = await leased(tenantId);
        const done = await runs.finish(finishInput(run, leaseToken, 'cancelled'));
        return { run: done, leaseToken };
      }
      const { run, leaseToken } = await leased(tenantId);
      const done = await runs.finish(finishInput(run, leaseToken, status));
      return { run: done, leaseToken };
    }

    it.each(cases)('%s run: %s is refused and the item is unchanged', async (status, method) => {
      const { run, leaseToken } = await terminalRun(status);
      clock.advance(LEASE_MS * 3); // an expired lease must not reopen a terminal run either
      const { tenantId, runId, tier } = run;
      const calls: Record<string, () => Promise<unknown>> = {
        acquireLease: () => runs.acquireLease({ tenantId, runId, tier, workerId: 'wkr_z', leaseMs: LEASE_MS }),
        renewLease: () => runs.renewLease({ tenantId, runId, leaseToken, leaseMs: LEASE_MS }),
        recordProgress: () => runs.recordProgress({ tenantId, runId, leaseToken, logTail: 'late' }),
        finish: () => runs.finish({ ...finishInput(run, leaseToken, 'succeeded') }),
        release: () => runs.release({ tenantId, runId, tier, leaseToken, countAttempt: false }),
        expireLease: () => runs.expireLease({ tenantId, runId, tier, observedLeaseToken: leaseToken }),
        cancelQueued: () => runs.cancelQueued({ tenantId, runId }),
        requestCancel: () => runs.requestCancel({ tenantId, runId }),
        failDeadLettered: () => runs.failDeadLettered({ tenantId, runId }),
      };
      const err = await calls[method]!().catch((e: unknown) => e);
      expect([TransitionRefusedError, LeaseRefusedError, LeaseLostError].some((E) => err instanceof E)).toBe(true);
      expect(await runs.get(tenantId, runId)).toEqual(run);
    });

    it('a queued-cancelled run refuses a lease', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId);
      const done = await runs.cancelQueued({ tenantId, runId: run.runId });
      const err = await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'w', leaseMs: LEASE_MS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseRefusedError);
      expect(await runs.get(tenantId, run.runId)).toEqual(done);
    });

    it('finish refuses a non-terminal status', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      await expect(runs.finish({ ...finishInput(run, leaseToken, 'queued' as TerminalStatus) })).rejects.toThrow();
      expect((await runs.require(tenantId, run.runId)).status).toBe('running');
    });
  });

  describe('fencing', () => {
    it.each(['renewLease', 'recordProgress', 'recordProgress (spend)', 'finish', 'release'])('%s with a stale token after a takeover → LeaseLostError, item unchanged', async (method) => {
      const tenantId = testTenant();
      const { run, leaseToken: stale } = await leased(tenantId);
      clock.advance(LEASE_MS + 1);
      await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_b', leaseMs: LEASE_MS });
      const before = await runs.require(tenantId, run.runId);
      const { runId, tier } = run;
      const calls: Record<string, () => Promise<unknown>> = {
        renewLease: () => runs.renewLease({ tenantId, runId, leaseToken: stale, leaseMs: LEASE_MS }),
        recordProgress: () => runs.recordProgress({ tenantId, runId, leaseToken: stale, logTail: 'stale' }),
        'recordProgress (spend)': () =>
          runs.recordProgress({ tenantId, runId, leaseToken: stale, spend: { costUsd: 9, calls: 1, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 } }),
        finish: () => runs.finish(finishInput(run, stale, 'succeeded')),
        release: () => runs.release({ tenantId, runId, tier, leaseToken: stale, countAttempt: false }),
      };
      const err = await calls[method]!().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseLostError);
      expect((err as LeaseLostError).current?.workerId).toBe('wkr_b');
      expect(await runs.get(tenantId, run.runId)).toEqual(before);
    });

    it('recordProgress with nothing to write still checks the lease', async () => {
      const tenantId = testTenant();
      const { run } = await leased(tenantId);
      await expect(runs.recordProgress({ tenantId, runId: run.runId, leaseToken: 'not-the-token' })).rejects.toBeInstanceOf(LeaseLostError);
    });
  });

  describe('concurrency', () => {
    it('of 20 concurrent acquireLease attempts exactly one wins', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: `wkr_${i}`, leaseMs: LEASE_MS })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LeaseRefusedError);
      const now = await runs.require(tenantId, run.runId);
      expect(now.attempt).toBe(1);
      expect(now.leaseToken).toBe((won[0] as PromiseFulfilledResult<{ leaseToken: string }>).value.leaseToken);
    });
  });
});
