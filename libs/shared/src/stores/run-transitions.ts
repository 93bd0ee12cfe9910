import { assertNever } from '../core/assert-never.js';
import { add, combine, condition, increment, remove, set, setIfAbsent, type UpdateParts } from '../aws/update-expression.js';
import type { LeaseRefusedError } from '../core/errors.js';
import { Continuation, RunSpendView, type Promotion, type RunRecord, type RunStatus, type TerminalStatus } from '../schemas/run.js';
import type { TierName } from '../config/tiers.js';
import { terminalEvent } from '../webhooks/events.js';
import { outboxMark } from '../webhooks/outbox.js';

/**
 * Every write the run store makes, as pure update parts: the status transitions (`toQueued`,
 * `toRunning`, `toTerminal`), the writes that keep the status, and the conditions that guard
 * them, each part named (as powertools' DynamoDBPersistenceLayer names its own). The derived
 * fields live here only: the index attributes (`indexAttributes`), the TTL (`expiresAt`) and
 * `version` (`versionBump`).
 */

/** The fields a terminal write may carry besides its status, end time and TTL. */
export type TerminalFields = Partial<Pick<RunRecord, 'exitCode' | 'error' | 'summary' | 'artifacts' | 'logTail' | 'spend' | 'cancelRequestedAt' | 'cancelReason'>>;

/** The statuses the sparse active index holds. */
export type ActiveStatus = 'queued' | 'running';

/** Where a run sits in the indexes: while active also its sort key (queue time or lease expiry). */
export type IndexPlace = { tenantId: string; tier: TierName } & (
  | { status: ActiveStatus; activeSk: string }
  | { status: TerminalStatus }
);

/** The active index's partition: one per active status and tier. */
export function activePartition(status: ActiveStatus, tier: TierName): string {
  return `${status}#${tier}`;
}

/** The status index's key: a tenant's runs in one status. */
export function tenantStatusKey(tenantId: string, status: RunStatus): string {
  return `${tenantId}#${status}`;
}

/** The index attributes as item fields: `activePk`/`activeSk` only while the run is active. */
export function indexFields(place: IndexPlace): { tenantStatus: string; activePk?: string; activeSk?: string } {
  const tenantStatus = tenantStatusKey(place.tenantId, place.status);
  switch (place.status) {
    case 'queued':
    case 'running':
      return { tenantStatus, activePk: activePartition(place.status, place.tier), activeSk: place.activeSk };
    case 'succeeded':
    case 'failed':
    case 'timed_out':
    case 'cancelled':
      return { tenantStatus };
    default:
      return assertNever(place);
  }
}

/** The index attributes of a run entering `place.status`: set, or removed once it is terminal (the index is sparse). */
export function indexAttributes(place: IndexPlace): UpdateParts {
  const fields = indexFields(place);
  return fields.activePk === undefined ? combine(set(fields), remove('activePk', 'activeSk')) : set(fields);
}

/** A run's TTL (epoch seconds): when it ended plus its tier's retention. */
export function expiresAt(endedAt: Date, retentionDays: number): number {
  return Math.floor(endedAt.getTime() / 1000) + retentionDays * 86_400;
}

/** Every write moves `version` on by one. */
export function versionBump(): UpdateParts {
  return increment('version', 1);
}

// --- transitions ---

/** → queued: back in the queue, unleased; with `giveBackAttempt` the lease's attempt is not counted. */
export function toQueued(o: { tenantId: string; tier: TierName; now: Date; giveBackAttempt?: boolean }): UpdateParts {
  const at = o.now.toISOString();
  return combine(
    set({ status: 'queued', queuedAt: at }),
    indexAttributes({ tenantId: o.tenantId, tier: o.tier, status: 'queued', activeSk: at }),
    remove('leaseToken', 'leaseExpiresAt', 'workerId'),
    ...(o.giveBackAttempt ? [increment('attempt', -1)] : []),
  );
}

/**
 * → running under a new lease, with its condition: a queued run, or a running one whose lease
 * expired (its worker died); never past its attempts, on another tier, or once a cancel is asked.
 * Each lease counts one attempt; the start is marked in the outbox by the same write.
 */
export function toRunning(o: { tenantId: string; runId: string; tier: TierName; workerId: string; leaseToken: string; leaseExpiresAt: string; now: Date }): UpdateParts {
  const now = o.now.toISOString();
  const runExists = 'attribute_exists(#runId)';
  const onThisTier = '#tier = :tier';
  const attemptsLeft = '#attempt < #maxAttempts';
  const noCancelRequested = 'attribute_not_exists(#cancelRequestedAt)';
  const isQueued = '#status = :queued';
  const leaseExpired = '#status = :running AND #leaseExpiresAt < :now';
  return combine(
    set({ status: 'running', workerId: o.workerId, leaseToken: o.leaseToken, leaseExpiresAt: o.leaseExpiresAt, startedAt: now }),
    increment('attempt', 1),
    indexAttributes({ tenantId: o.tenantId, tier: o.tier, status: 'running', activeSk: o.leaseExpiresAt }),
    outboxMark({ runId: o.runId, event: 'run.started', at: now }),
    condition([runExists, onThisTier, attemptsLeft, noCancelRequested, `(${isQueued} OR (${leaseExpired}))`].join(' AND '), {
      ':tier': o.tier,
      ':queued': 'queued',
      ':running': 'running',
      ':now': now,
    }),
  );
}

/**
 * → a terminal status: its end time, its TTL from its tier's retention, `fields` (error, summary…;
 * undefined ones skipped), lease and active index gone, its webhook event marked by the same write.
 */
export function toTerminal(o: {
  tenantId: string;
  runId: string;
  tier: TierName;
  status: TerminalStatus;
  now: Date;
  retentionDays: number;
  fields?: TerminalFields;
}): UpdateParts {
  const at = o.now.toISOString();
  return combine(
    set({ status: o.status, finishedAt: at, expiresAt: expiresAt(o.now, o.retentionDays), ...o.fields }),
    indexAttributes({ tenantId: o.tenantId, tier: o.tier, status: o.status }),
    remove('leaseToken', 'leaseExpiresAt'),
    outboxMark({ runId: o.runId, event: terminalEvent(o.status), at }),
  );
}

/** Why `toRunning`'s condition refused, read from the run as it is now. */
export function leaseRefusal(run: RunRecord, tier: TierName, now: Date): LeaseRefusedError['reason'] {
  if (run.tier !== tier) return 'wrong_tier';
  if (run.status !== 'queued' && run.status !== 'running') return 'terminal';
  if (run.cancelRequestedAt) return 'cancel_requested';
  if (run.status === 'running' && run.leaseExpiresAt && run.leaseExpiresAt >= now.toISOString()) return 'leased';
  if (run.attempt >= run.maxAttempts) return 'attempts_exhausted';
  return 'leased';
}

// --- writes that keep the status ---

/** A longer lease; the running index sorts by its expiry. */
export function leaseRenewal(leaseExpiresAt: string): UpdateParts {
  return set({ leaseExpiresAt, activeSk: leaseExpiresAt });
}

/** The progress fields given (none given: no clauses); spend and continuation are parsed first. */
export function progress(p: { logTail?: string; logChunks?: number; baseCommit?: string; spend?: RunSpendView; continuation?: Continuation }): UpdateParts {
  return set({
    spend: p.spend === undefined ? undefined : RunSpendView.parse(p.spend),
    logTail: p.logTail,
    logChunks: p.logChunks,
    baseCommit: p.baseCommit,
    continuation: p.continuation === undefined ? undefined : Continuation.parse(p.continuation),
  });
}

/** A cancel request on a running run; the first request's time and reason are kept. */
export function cancelRequest(now: Date, reason: string): UpdateParts {
  return combine(setIfAbsent({ cancelRequestedAt: now.toISOString(), cancelReason: reason }), isRunning());
}

/**
 * A queued run's re-send, claimed by moving its place in the active index to now, conditioned
 * on the place the caller listed: of two dispatchers only one sends.
 */
export function resendClaim(observedActiveSk: string, now: Date): UpdateParts {
  const isQueued = '#status = :queued';
  const samePlace = '#activeSk = :observedActiveSk';
  const at = now.toISOString();
  return combine(
    set({ activeSk: at, resentAt: at }),
    condition(`${isQueued} AND ${samePlace}`, { ':queued': 'queued', ':observedActiveSk': observedActiveSk }),
  );
}

/** A promotion on a succeeded run; `expectStatus` guards a newer one; a landed promotion is marked (run.promoted). */
export function promotionWrite(o: { runId: string; promotion: Promotion; expectStatus?: Promotion['status'] | 'absent'; now: Date }): UpdateParts {
  const isSucceeded = '#status = :succeeded';
  const noPromotionYet = 'attribute_not_exists(#promotion)';
  const promotionInStatus = '#promotion.#status = :expectedPromotionStatus';
  const guard =
    o.expectStatus === 'absent'
      ? condition(noPromotionYet)
      : o.expectStatus
        ? condition(promotionInStatus, { ':expectedPromotionStatus': o.expectStatus })
        : undefined;
  return combine(
    set({ promotion: o.promotion }),
    condition(isSucceeded, { ':succeeded': 'succeeded' }),
    ...(guard ? [guard] : []),
    ...(o.promotion.status === 'succeeded' ? [outboxMark({ runId: o.runId, event: 'run.promoted', at: o.now.toISOString() })] : []),
  );
}

// --- conditions ---

/** The run exists (an update would otherwise create it). */
export function runExists(): UpdateParts {
  return condition('attribute_exists(#runId)');
}

/** The caller holds the lease: the run is running under its token. Every worker write is fenced by it. */
export function leaseHeld(leaseToken: string): UpdateParts {
  const isRunningNow = '#status = :running';
  const sameToken = '#leaseToken = :heldLeaseToken';
  return condition(`${isRunningNow} AND ${sameToken}`, { ':running': 'running', ':heldLeaseToken': leaseToken });
}

/**
 * The lease the reaper saw expired unrenewed: same token, past its expiry, and attempts left
 * (→ queued) or not (→ failed). Two reapers, or a reaper and a worker taking over, act once.
 */
export function leaseExpired(o: { observedLeaseToken: string; now: Date; attemptsLeft: boolean }): UpdateParts {
  const isRunningNow = '#status = :running';
  const sameLease = '#leaseToken = :observedLeaseToken';
  const pastExpiry = '#leaseExpiresAt < :now';
  const attempts = o.attemptsLeft ? '#attempt < #maxAttempts' : '#attempt >= #maxAttempts';
  return condition([isRunningNow, sameLease, pastExpiry, attempts].join(' AND '), {
    ':running': 'running',
    ':observedLeaseToken': o.observedLeaseToken,
    ':now': o.now.toISOString(),
  });
}

/** The run is queued. */
export function isQueued(): UpdateParts {
  return condition('#status = :queued', { ':queued': 'queued' });
}

/** The run is running. */
export function isRunning(): UpdateParts {
  return condition('#status = :running', { ':running': 'running' });
}

/** No live worker holds the run: queued, or running under a lease that expired. */
export function unleased(now: Date): UpdateParts {
  const isQueuedNow = '#status = :queued';
  const leaseExpiredBeforeNow = '#status = :running AND #leaseExpiresAt < :now';
  return condition(`${isQueuedNow} OR (${leaseExpiredBeforeNow})`, { ':queued': 'queued', ':running': 'running', ':now': now.toISOString() });
}
