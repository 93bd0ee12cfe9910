import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { ManualClock } from '../src/core/clock.js';
import { LeaseRefusedError, RunExistsError, TransitionRefusedError } from '../src/core/errors.js';
import { newRunId } from '../src/core/ids.js';
import { type TestStack, createRun, newRunInput, testTenant } from '@outpost/testkit';
import type { RunStore } from '../src/stores/run-store.js';
import { DEFAULT_TIERS } from '../src/config/tiers.js';
import { LEASE_MS, finishInput, expectIndexAttrs, leaseRun, startRunStoreSuite } from './helpers/run-store.js';

let db: TestStack;
let clock: ManualClock;
let runs: RunStore;

beforeAll(async () => ({ db, clock, runs } = await startRunStoreSuite()));
afterAll(async () => {
  await db?.stop();
});

const leased = (tenantId: string, overrides: Parameters<typeof leaseRun>[2] = {}) => leaseRun(runs, tenantId, overrides);

describe('RunStore', () => {
  describe('create() and get()', () => {
    it('returns the queued run right after create (consistent read)', async () => {
      const tenantId = testTenant();
      const created = await createRun(runs, tenantId, { tags: { team: 'a' } });
      const got = await runs.get(tenantId, created.runId);
      expect(got).toEqual(created);
      expect(got?.status).toBe('queued');
      expect(got?.attempt).toBe(0);
      expect(got?.tagPairs).toEqual(['team=a']);
      expectIndexAttrs(got!);
    });

    it('refuses an id that exists', async () => {
      const tenantId = testTenant();
      const input = newRunInput(tenantId);
      await runs.create(input);
      await expect(runs.create(input)).rejects.toBeInstanceOf(RunExistsError);
    });

    it('returns undefined for a missing run and for another tenant’s run', async () => {
      const run = await createRun(runs, testTenant());
      expect(await runs.get(testTenant(), run.runId)).toBeUndefined();
      expect(await runs.get(run.tenantId, newRunId())).toBeUndefined();
    });
  });

  describe('allowed transitions', () => {
    it('queued → running via acquireLease (attempt 1, lease fields, index attributes)', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId);
      const { run: after, leaseToken } = await runs.acquireLease({ tenantId, runId: run.runId, tier: 'pro', workerId: 'wkr_a', leaseMs: LEASE_MS });
      expect(after.status).toBe('running');
      expect(after.attempt).toBe(1);
      expect(after.workerId).toBe('wkr_a');
      expect(after.leaseToken).toBe(leaseToken);
      expect(after.leaseExpiresAt).toBe(new Date(clock.now().getTime() + LEASE_MS).toISOString());
      expectIndexAttrs(after);
      expect(await runs.get(tenantId, run.runId)).toEqual(after);
    });

    it.each(['succeeded', 'failed', 'timed_out', 'cancelled'] as const)('running → %s via finish', async (status) => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      const done = await runs.finish({
        ...finishInput(run, leaseToken, status),
        exitCode: status === 'succeeded' ? 0 : 1,
        logTail: 'tail',
        ...(status === 'succeeded' ? {} : { error: { code: 'agent_failed' as const, message: 'x' } }),
      });
      expect(done.status).toBe(status);
      expect(done.finishedAt).toBe(clock.now().toISOString());
      expect(done.leaseToken).toBeUndefined();
      expect(done.leaseExpiresAt).toBeUndefined();
      expect(done.expiresAt).toBe(Math.floor(clock.now().getTime() / 1000) + DEFAULT_TIERS[run.tier].retentionDays * 86_400);
      expect(done.logTail).toBe('tail');
      expectIndexAttrs(done);
      expect(await runs.get(tenantId, run.runId)).toEqual(done);
    });

    it('queued → cancelled via cancelQueued', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId);
      const done = await runs.cancelQueued({ tenantId, runId: run.runId, reason: 'no longer needed' });
      expect(done.status).toBe('cancelled');
      expect(done.error).toEqual({ code: 'cancelled', message: 'no longer needed' });
      expect(done.finishedAt).toBeDefined();
      expectIndexAttrs(done);
    });

    it.each([
      [false, 0],
      [true, 1],
    ])('running → queued via release (countAttempt %s → attempt %i)', async (countAttempt, attempt) => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      const back = await runs.release({ tenantId, runId: run.runId, tier: run.tier, leaseToken, countAttempt });
      expect(back.status).toBe('queued');
      expect(back.attempt).toBe(attempt);
      expect(back.leaseToken).toBeUndefined();
      expect(back.workerId).toBeUndefined();
      expectIndexAttrs(back);
      // and it can be leased again
      const again = await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_b', leaseMs: LEASE_MS });
      expect(again.run.attempt).toBe(attempt + 1);
    });

    it('running → queued via expireLease when the lease expired with attempts left', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      await expect(
        runs.expireLease({ tenantId, runId: run.runId, tier: run.tier, observedLeaseToken: leaseToken }),
      ).rejects.toBeInstanceOf(TransitionRefusedError); // not expired yet
      clock.advance(LEASE_MS + 1);
      const back = await runs.expireLease({ tenantId, runId: run.runId, tier: run.tier, observedLeaseToken: leaseToken });
      expect(back.status).toBe('queued');
      expect(back.attempt).toBe(1);
      expect(back.leaseToken).toBeUndefined();
      expectIndexAttrs(back);
    });

    it('running → failed (lease_expired) via expireLease when attempts are exhausted', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId, { maxAttempts: 1 });
      clock.advance(LEASE_MS + 1);
      const done = await runs.expireLease({ tenantId, runId: run.runId, tier: run.tier, observedLeaseToken: leaseToken });
      expect(done.status).toBe('failed');
      expect(done.error?.code).toBe('lease_expired');
      expect(done.leaseToken).toBeUndefined();
      expect(done.expiresAt).toBeDefined();
      expectIndexAttrs(done);
    });

    it('expireLease with a token that is no longer current is refused (two reapers act once)', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      clock.advance(LEASE_MS + 1);
      await runs.expireLease({ tenantId, runId: run.runId, tier: run.tier, observedLeaseToken: leaseToken });
      await expect(
        runs.expireLease({ tenantId, runId: run.runId, tier: run.tier, observedLeaseToken: leaseToken }),
      ).rejects.toBeInstanceOf(TransitionRefusedError);
    });

    it('queued → failed (dead_lettered) via failDeadLettered', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId);
      const done = await runs.failDeadLettered({ tenantId, runId: run.runId, receiveCount: 6 });
      expect(done.status).toBe('failed');
      expect(done.error?.code).toBe('dead_lettered');
      expect(done.error?.message).toContain('6 deliveries');
      expectIndexAttrs(done);
    });

    it('failDeadLettered leaves a run with a live lease alone', async () => {
      const tenantId = testTenant();
      const { run } = await leased(tenantId);
      await expect(runs.failDeadLettered({ tenantId, runId: run.runId })).rejects.toBeInstanceOf(TransitionRefusedError);
      expect((await runs.require(tenantId, run.runId)).status).toBe('running');
    });

    it('requestCancel marks a running run; its worker sees it on renew and then no new lease is granted', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      const marked = await runs.requestCancel({ tenantId, runId: run.runId, reason: 'stop' });
      expect(marked.status).toBe('running');
      expect(marked.cancelRequestedAt).toBeDefined();
      expect(marked.cancelReason).toBe('stop');
      const renewed = await runs.renewLease({ tenantId, runId: run.runId, leaseToken, leaseMs: LEASE_MS });
      expect(renewed.cancelRequestedAt).toBe(marked.cancelRequestedAt);
      clock.advance(LEASE_MS * 2);
      const err = await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_b', leaseMs: LEASE_MS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseRefusedError);
      expect((err as LeaseRefusedError).reason).toBe('cancel_requested');
    });

    it('requestCancel on a queued run is refused (use cancelQueued)', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId);
      await expect(runs.requestCancel({ tenantId, runId: run.runId })).rejects.toBeInstanceOf(TransitionRefusedError);
    });

    it('an expired lease is taken over by another worker via acquireLease (attempt 2)', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      const refused = await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_b', leaseMs: LEASE_MS }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LeaseRefusedError);
      expect((refused as LeaseRefusedError).reason).toBe('leased');
      clock.advance(LEASE_MS + 1);
      const taken = await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_b', leaseMs: LEASE_MS });
      expect(taken.run.attempt).toBe(2);
      expect(taken.run.workerId).toBe('wkr_b');
      expect(taken.leaseToken).not.toBe(leaseToken);
      expectIndexAttrs(taken.run);
    });

    it('refuses a takeover when attempts are exhausted, and a lease on the wrong tier', async () => {
      const tenantId = testTenant();
      const { run } = await leased(tenantId, { maxAttempts: 1 });
      clock.advance(LEASE_MS + 1);
      const err = await runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_b', leaseMs: LEASE_MS }).catch((e: unknown) => e);
      expect((err as LeaseRefusedError).reason).toBe('attempts_exhausted');
      const other = await createRun(runs, tenantId, { tier: 'free' });
      const wrong = await runs.acquireLease({ tenantId, runId: other.runId, tier: 'pro', workerId: 'wkr_b', leaseMs: LEASE_MS }).catch((e: unknown) => e);
      expect((wrong as LeaseRefusedError).reason).toBe('wrong_tier');
    });

    it('renewLease and recordProgress extend and write for the lease holder', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      clock.advance(10_000);
      const renewed = await runs.renewLease({ tenantId, runId: run.runId, leaseToken, leaseMs: LEASE_MS });
      expect(renewed.leaseExpiresAt).toBe(new Date(clock.now().getTime() + LEASE_MS).toISOString());
      expectIndexAttrs(renewed);
      const progressed = await runs.recordProgress({ tenantId, runId: run.runId, leaseToken, logTail: 'abc', logChunks: 3, baseCommit: 'deadbeef' });
      expect(progressed).toMatchObject({ logTail: 'abc', logChunks: 3, baseCommit: 'deadbeef', status: 'running' });
    });

    it('create keeps the run\'s budget; an item written before budgets existed still parses', async () => {
      const tenantId = testTenant();
      const run = await createRun(runs, tenantId, { maxCostUsd: 2.5 });
      expect((await runs.require(tenantId, run.runId)).maxCostUsd).toBe(2.5);
      const old = await createRun(runs, tenantId);
      const got = await runs.require(tenantId, old.runId);
      expect(got).not.toHaveProperty('maxCostUsd');
      expect(got).not.toHaveProperty('spend');
    });

    it('recordProgress writes live spend, finish the final spend and a budget_exceeded error', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId, { maxCostUsd: 0.05 });
      const live = { costUsd: 0.012, calls: 2, inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 50 };
      const progressed = await runs.recordProgress({ tenantId, runId: run.runId, leaseToken, spend: live });
      expect(progressed.spend).toEqual(live);
      expect(progressed.logTail).toBeUndefined();
      const after = await runs.recordProgress({ tenantId, runId: run.runId, leaseToken, logTail: 'x' });
      expect(after.spend).toEqual(live); // a write without spend leaves it alone
      const final = { ...live, costUsd: 0.0513, calls: 5 };
      const done = await runs.finish({
        ...finishInput(run, leaseToken, 'failed'),
        error: { code: 'budget_exceeded', message: 'the run\'s budget of $0.05 is reached: $0.0513 spent' },
        spend: final,
      });
      expect(done).toMatchObject({ status: 'failed', maxCostUsd: 0.05, spend: final, error: { code: 'budget_exceeded' } });
      expect(await runs.require(tenantId, run.runId)).toEqual(done);
    });

    it('refuses a negative spend', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      const bad = { costUsd: -1, calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
      await expect(runs.recordProgress({ tenantId, runId: run.runId, leaseToken, spend: bad })).rejects.toThrow(/costUsd/);
      expect((await runs.require(tenantId, run.runId)).spend).toBeUndefined();
    });

    it('setPromotion writes on a succeeded run and honours expectStatus', async () => {
      const tenantId = testTenant();
      const { run, leaseToken } = await leased(tenantId);
      await runs.finish(finishInput(run, leaseToken, 'succeeded'));
      const promotion = { status: 'pending' as const, requestedAt: clock.now().toISOString(), branch: 'b', createPullRequest: false };
      const p = await runs.setPromotion({ tenantId, runId: run.runId, promotion, expectStatus: 'absent' });
      expect(p.promotion?.status).toBe('pending');
      await expect(runs.setPromotion({ tenantId, runId: run.runId, promotion, expectStatus: 'absent' })).rejects.toBeInstanceOf(TransitionRefusedError);
      const done = await runs.setPromotion({ tenantId, runId: run.runId, promotion: { ...promotion, status: 'succeeded' }, expectStatus: 'pending' });
      expect(done.promotion?.status).toBe('succeeded');
      expect(done.status).toBe('succeeded');
    });
  });
});
