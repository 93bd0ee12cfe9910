import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { ManualClock } from '../src/core/clock.js';
import { InvalidCursorError, LeaseLostError, LeaseRefusedError, RunExistsError, TransitionRefusedError } from '../src/core/errors.js';
import { newRunId } from '../src/core/ids.js';
import { resourceNames } from '../src/aws/resources.js';
import { RunStore } from '../src/stores/run-store.js';
import { isTerminal, type RunRecord, type TerminalStatus } from '../src/schemas/run.js';
import { DEFAULT_TIERS, resolveTiers } from '../src/config/tiers.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';
import { createRun, newRunInput, runIdAt, testTenant } from './helpers/runs.js';

const LEASE_MS = 30_000;
let db: TestDynamo;
let clock: ManualClock;
let runs: RunStore;

beforeAll(async () => {
  db = await startTestDynamo();
  clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  runs = new RunStore({ tableName: resourceNames(db.prefix).tables.runs, doc: db.clients.doc, clock });
});
afterAll(async () => {
  await db?.stop();
});

async function leased(tenantId: string, overrides = {}): Promise<{ run: RunRecord; leaseToken: string }> {
  const run = await createRun(runs, tenantId, overrides);
  return runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_a', leaseMs: LEASE_MS });
}

const finishInput = (run: RunRecord, leaseToken: string, status: TerminalStatus) => ({
  tenantId: run.tenantId,
  runId: run.runId,
  leaseToken,
  status,
});

/** Asserts the index attributes match the status. */
function expectIndexAttrs(run: RunRecord): void {
  expect(run.tenantStatus).toBe(`${run.tenantId}#${run.status}`);
  expect(run.tenantAgent).toBe(`${run.tenantId}#${run.agent}`);
  if (run.status === 'queued' || run.status === 'running') {
    expect(run.activePk).toBe(`${run.status}#${run.tier}`);
    expect(run.activeSk).toBe(run.status === 'queued' ? run.queuedAt : run.leaseExpiresAt);
  } else {
    expect(run.activePk).toBeUndefined();
    expect(run.activeSk).toBeUndefined();
  }
}

async function activeIds(tier: RunRecord['tier'], status: 'queued' | 'running'): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await runs.listActive({ tier, status, ...(startKey ? { startKey } : {}) });
    ids.push(...page.runs.map((r) => r.runId));
    startKey = page.lastKey;
  } while (startKey);
  return ids;
}

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

  describe('retention: every terminal transition sets expiresAt from the run’s tier', () => {
    // Its own tier table, so the store (not a caller) is what decides: enterprise keeps runs 3 days here.
    const tiers = resolveTiers({ enterprise: { retentionDays: 3 } });
    let store: RunStore;
    beforeAll(() => {
      store = new RunStore({ tableName: resourceNames(db.prefix).tables.runs, doc: db.clients.doc, clock, tiers });
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
