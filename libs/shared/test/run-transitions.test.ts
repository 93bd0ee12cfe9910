import { describe, it, expect } from '@jest/globals';
import { combine, toUpdateInput } from '../src/aws/update-expression.js';
import {
  cancelRequest,
  expiresAt,
  indexAttributes,
  indexFields,
  isQueued,
  leaseExpired,
  leaseHeld,
  leaseRefusal,
  leaseRenewal,
  progress,
  promotionWrite,
  resendClaim,
  runExists,
  toQueued,
  toRunning,
  toTerminal,
  unleased,
  versionBump,
} from '../src/stores/run-transitions.js';
import { RunRecord, type TerminalStatus } from '../src/schemas/run.js';

const now = new Date(Date.UTC(2026, 0, 1, 12));
const at = now.toISOString();
const run = { tenantId: 'ten_a', runId: 'run_1', tier: 'pro' as const };

describe('run transitions', () => {
  describe('indexAttributes()', () => {
    it.each(['queued', 'running'] as const)('%s: tenantStatus, activePk and activeSk set', (status) => {
      expect(toUpdateInput(indexAttributes({ ...run, status, activeSk: at }))).toEqual({
        UpdateExpression: 'SET #tenantStatus = :tenantStatus, #activePk = :activePk, #activeSk = :activeSk',
        ExpressionAttributeNames: { '#tenantStatus': 'tenantStatus', '#activePk': 'activePk', '#activeSk': 'activeSk' },
        ExpressionAttributeValues: { ':tenantStatus': `ten_a#${status}`, ':activePk': `${status}#pro`, ':activeSk': at },
      });
    });

    it.each(['succeeded', 'failed', 'timed_out', 'cancelled'] as const)('%s: tenantStatus set, the active index left (sparse)', (status) => {
      const parts = indexAttributes({ ...run, status });
      expect(parts.set).toEqual(['#tenantStatus = :tenantStatus']);
      expect(parts.remove).toEqual(['#activePk', '#activeSk']);
      expect(indexFields({ ...run, status })).toEqual({ tenantStatus: `ten_a#${status}` });
    });
  });

  it('expiresAt() is the end time plus the retention, in epoch seconds', () => {
    expect(expiresAt(now, 7)).toBe(Date.UTC(2026, 0, 8, 12) / 1000);
  });

  describe('toQueued()', () => {
    it('puts the run back in the queue and drops its lease; the attempt only when given back', () => {
      const kept = toUpdateInput(toQueued({ ...run, now }));
      expect(kept.UpdateExpression).toBe(
        'SET #status = :status, #queuedAt = :queuedAt, #tenantStatus = :tenantStatus, #activePk = :activePk, #activeSk = :activeSk ' +
          'REMOVE #leaseToken, #leaseExpiresAt, #workerId',
      );
      expect(kept.ExpressionAttributeValues).toEqual({ ':status': 'queued', ':queuedAt': at, ':tenantStatus': 'ten_a#queued', ':activePk': 'queued#pro', ':activeSk': at });
      const given = toQueued({ ...run, now, giveBackAttempt: true });
      expect(given.set).toContain('#attempt = #attempt + :attemptDelta');
      expect(given.values[':attemptDelta']).toBe(-1);
    });
  });

  describe('toRunning()', () => {
    const parts = toRunning({ ...run, workerId: 'wkr_a', leaseToken: 'tok', leaseExpiresAt: '2026-01-01T12:00:30.000Z', now });

    it('sets the lease, counts an attempt, sorts by the lease expiry and marks run.started', () => {
      expect(parts.values).toMatchObject({
        ':status': 'running',
        ':workerId': 'wkr_a',
        ':leaseToken': 'tok',
        ':startedAt': at,
        ':attemptDelta': 1,
        ':activePk': 'running#pro',
        ':activeSk': '2026-01-01T12:00:30.000Z',
        ':outboxEvents': new Set([`run.started@${at}`]),
      });
    });

    it('is conditioned on a queued run, or one whose lease expired, on its tier, with attempts left and no cancel', () => {
      expect(parts.condition).toEqual([
        'attribute_exists(#runId) AND #tier = :tier AND #attempt < #maxAttempts AND attribute_not_exists(#cancelRequestedAt) AND ' +
          '(#status = :queued OR (#status = :running AND #leaseExpiresAt < :now))',
      ]);
      expect(parts.values).toMatchObject({ ':tier': 'pro', ':queued': 'queued', ':running': 'running', ':now': at });
    });
  });

  describe('toTerminal()', () => {
    it.each(['succeeded', 'failed', 'timed_out', 'cancelled'] as const)('%s: end time, TTL, fields, no lease, no active index, its event', (status: TerminalStatus) => {
      const parts = toTerminal({ ...run, status, now, retentionDays: 3, fields: { logTail: 'tail', exitCode: null, error: undefined } });
      const input = toUpdateInput(parts);
      expect(input.UpdateExpression).toMatch(/^SET #status = :status, #finishedAt = :finishedAt, #expiresAt = :expiresAt, #logTail = :logTail, #exitCode = :exitCode, #tenantStatus/);
      expect(input.UpdateExpression).toContain('REMOVE #activePk, #activeSk, #leaseToken, #leaseExpiresAt ADD #outboxEvents :outboxEvents');
      expect(input.UpdateExpression).not.toContain('#error');
      expect(parts.values).toMatchObject({ ':status': status, ':finishedAt': at, ':expiresAt': expiresAt(now, 3), ':tenantStatus': `ten_a#${status}` });
      expect(parts.values[':outboxEvents']).toEqual(new Set([`run.${status}@${at}`]));
      expect(parts.condition).toEqual([]);
    });
  });

  describe('writes that keep the status', () => {
    it('leaseRenewal() moves the lease and the running sort key together', () => {
      expect(leaseRenewal('x').values).toEqual({ ':leaseExpiresAt': 'x', ':activeSk': 'x' });
    });

    it('progress() writes only what is given and parses spend', () => {
      expect(progress({}).set).toEqual([]);
      expect(progress({ logTail: 't', logChunks: 2 }).set).toEqual(['#logTail = :logTail', '#logChunks = :logChunks']);
      expect(() => progress({ spend: { costUsd: -1, calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } })).toThrow(/costUsd/);
    });

    it('cancelRequest() keeps the first request and needs a running run', () => {
      const parts = cancelRequest(now, 'stop');
      expect(parts.set).toEqual(['#cancelRequestedAt = if_not_exists(#cancelRequestedAt, :cancelRequestedAt)', '#cancelReason = if_not_exists(#cancelReason, :cancelReason)']);
      expect(parts.condition).toEqual(['#status = :running']);
    });

    it('resendClaim() is conditioned on the place the caller listed', () => {
      expect(resendClaim('old', now).condition).toEqual(['#status = :queued AND #activeSk = :observedActiveSk']);
    });

    it.each([
      ['absent', ['#status = :succeeded', 'attribute_not_exists(#promotion)']],
      ['pending', ['#status = :succeeded', '#promotion.#status = :expectedPromotionStatus']],
      [undefined, ['#status = :succeeded']],
    ] as const)('promotionWrite() with expectStatus %s', (expectStatus, condition) => {
      const promotion = { status: 'succeeded' as const, requestedAt: at, branch: 'b', createPullRequest: false };
      const parts = promotionWrite({ runId: 'run_1', promotion, now, ...(expectStatus ? { expectStatus } : {}) });
      expect(parts.condition).toEqual(condition);
      expect(parts.values[':outboxEvents']).toEqual(new Set([`run.promoted@${at}`]));
    });
  });

  describe('conditions', () => {
    it.each([
      ['leaseHeld', leaseHeld('tok'), '#status = :running AND #leaseToken = :heldLeaseToken'],
      ['leaseExpired, attempts left', leaseExpired({ observedLeaseToken: 'tok', now, attemptsLeft: true }), '#status = :running AND #leaseToken = :observedLeaseToken AND #leaseExpiresAt < :now AND #attempt < #maxAttempts'],
      ['leaseExpired, none left', leaseExpired({ observedLeaseToken: 'tok', now, attemptsLeft: false }), '#status = :running AND #leaseToken = :observedLeaseToken AND #leaseExpiresAt < :now AND #attempt >= #maxAttempts'],
      ['unleased', unleased(now), '#status = :queued OR (#status = :running AND #leaseExpiresAt < :now)'],
      ['runExists', runExists(), 'attribute_exists(#runId)'],
    ])('%s', (_name, parts, expected) => {
      expect(parts.condition).toEqual([expected]);
      for (const placeholder of expected.match(/:\w+/g) ?? []) expect(parts.values).toHaveProperty([placeholder]);
    });

    it('every write the store makes combines with its guard and the version bump without a clash', () => {
      const terminal = (status: TerminalStatus) => toTerminal({ ...run, status, now, retentionDays: 1, fields: { error: { code: 'cancelled', message: 'x' } } });
      const writes = [
        combine(toRunning({ ...run, workerId: 'w', leaseToken: 't', leaseExpiresAt: at, now })),
        combine(terminal('succeeded'), leaseHeld('t')),
        combine(terminal('failed'), leaseExpired({ observedLeaseToken: 't', now, attemptsLeft: false }), runExists()),
        combine(terminal('cancelled'), isQueued(), runExists()),
        combine(terminal('failed'), unleased(now), runExists()),
        combine(toQueued({ ...run, now, giveBackAttempt: true }), leaseHeld('t')),
        combine(toQueued({ ...run, now }), leaseExpired({ observedLeaseToken: 't', now, attemptsLeft: true }), runExists()),
        combine(leaseRenewal(at), leaseHeld('t')),
        combine(cancelRequest(now, 'x'), runExists()),
        combine(resendClaim(at, now), runExists()),
      ];
      for (const parts of writes) expect(toUpdateInput(combine(parts, versionBump())).UpdateExpression).toContain('#version = #version + :versionDelta');
    });
  });

  describe('leaseRefusal()', () => {
    const base = RunRecord.parse({
      tenantId: 'ten_a', runId: 'run_1', tier: 'pro', agent: 'shell', repo: 'o/r', task: 't', taskBytes: 1, timeoutSeconds: 60, maxAttempts: 2,
      status: 'running', attempt: 1, createdAt: at, queuedAt: at, tenantStatus: 'ten_a#running', tenantAgent: 'ten_a#shell', version: 1,
      leaseExpiresAt: '2026-01-01T12:00:30.000Z',
    });
    it.each([
      ['wrong_tier', { tier: 'free' as const }, 'pro'],
      ['terminal', { status: 'succeeded' as const }, 'pro'],
      ['cancel_requested', { cancelRequestedAt: at }, 'pro'],
      ['leased', {}, 'pro'],
      ['attempts_exhausted', { attempt: 2, leaseExpiresAt: '2026-01-01T11:00:00.000Z' }, 'pro'],
    ] as const)('%s', (reason, change, tier) => {
      expect(leaseRefusal({ ...base, ...change }, tier, now)).toBe(reason);
    });
  });
});
