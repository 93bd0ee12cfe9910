import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  runLogger,
  RunNotFoundError,
  sendJob,
  TransitionRefusedError,
  type Clock,
  type Logger,
  type RunRecord,
  type Stores,
  type TierName,
  type TierTable,
} from '@outpost/shared';

export interface RecoveryDeps {
  sqs: SQSClient;
  stores: Pick<Stores, 'runs' | 'queues'>;
  tiers: TierTable;
  clock: Clock;
  logger: Logger;
  /** Pages of 100 runs read per tier per tick, so one tick stays short. @default 10 */
  maxPages?: number;
}

export interface LeaseReport {
  requeued: number;
  failed: number;
  /** Someone else (a worker or another dispatcher) acted first. */
  lost: number;
}

/**
 * Running runs whose lease expired (their worker died): back to queued and sent again while
 * attempts remain, else failed `lease_expired`. expireLease is conditioned on the lease token we
 * listed, so a worker that renews meanwhile or a second dispatcher makes ours a no-op. If the send
 * fails after the requeue, the run is queued with no message: the stale-queued pass sends it later.
 */
export async function reapExpiredLeases(deps: RecoveryDeps, tier: TierName): Promise<LeaseReport> {
  const report: LeaseReport = { requeued: 0, failed: 0, lost: 0 };
  await forEachActive(deps, tier, 'running', deps.clock.now(), async (run) => {
    if (!run.leaseToken) return;
    const log = runLogger(deps.logger, run);
    let after: RunRecord;
    try {
      after = await deps.stores.runs.expireLease({
        tenantId: run.tenantId,
        runId: run.runId,
        tier,
        observedLeaseToken: run.leaseToken,
      });
    } catch (err) {
      if (err instanceof TransitionRefusedError || err instanceof RunNotFoundError) {
        report.lost++;
        return;
      }
      throw err;
    }
    if (after.status === 'queued') {
      // The re-sent job continues the run's own trace (from its dispatch), not the tick's.
      await sendJob(deps.sqs, deps.stores.queues, { tier, tenantId: run.tenantId, runId: run.runId, traceparent: after.traceparent });
      report.requeued++;
      log.warn({ attempt: after.attempt, workerId: run.workerId }, 'lease expired; run queued again');
    } else {
      report.failed++;
      log.warn({ attempt: after.attempt, workerId: run.workerId }, 'lease expired with no attempts left; run failed');
    }
  });
  return report;
}

/**
 * Queued runs that sat with no lease longer than `staleMs` (their message was lost, e.g. the local
 * SQS restarted, or a send failed): claimed by one conditional write that also restarts their
 * clock, then sent again. A duplicate message is harmless: only one lease can be taken.
 */
export async function resendStaleQueued(deps: RecoveryDeps, tier: TierName, staleMs: number): Promise<{ resent: number; lost: number }> {
  const report = { resent: 0, lost: 0 };
  const before = new Date(deps.clock.now().getTime() - staleMs);
  await forEachActive(deps, tier, 'queued', before, async (run) => {
    if (!run.activeSk) return;
    try {
      await deps.stores.runs.claimResend({ tenantId: run.tenantId, runId: run.runId, observedActiveSk: run.activeSk });
    } catch (err) {
      if (err instanceof TransitionRefusedError || err instanceof RunNotFoundError) {
        report.lost++;
        return;
      }
      throw err;
    }
    await sendJob(deps.sqs, deps.stores.queues, { tier, tenantId: run.tenantId, runId: run.runId, traceparent: run.traceparent });
    report.resent++;
    runLogger(deps.logger, run).warn({ queuedSince: run.activeSk }, 'queued run had no lease for too long; job sent again');
  });
  return report;
}

async function forEachActive(
  deps: RecoveryDeps,
  tier: TierName,
  status: 'queued' | 'running',
  before: Date,
  fn: (run: RunRecord) => Promise<void>,
): Promise<void> {
  let startKey: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const page = await deps.stores.runs.listActive({ tier, status, before, limit: 100, ...(startKey ? { startKey } : {}) });
    for (const run of page.runs) await fn(run);
    startKey = page.lastKey;
  } while (startKey && ++pages < (deps.maxPages ?? 10));
}
