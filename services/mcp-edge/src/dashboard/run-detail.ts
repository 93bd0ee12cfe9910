import type { TimelineEvent } from '@outpost/dashboard-api';
import { runIdTime, type RunRecord, type RunStore } from '@outpost/shared';
import { toRunView, type RunView } from '../domain/run-view.js';

/** The run's history as events, oldest first, from the times its record keeps. */
export function timelineOf(run: RunRecord): TimelineEvent[] {
  const events: TimelineEvent[] = [{ at: run.queuedAt, event: 'queued', detail: `tier ${run.tier}` }];
  if (run.attempt > 1 && run.startedAt) events.push({ at: run.startedAt, event: 'attempt', detail: `attempt ${run.attempt} of ${run.maxAttempts}` });
  if (run.startedAt) events.push({ at: run.startedAt, event: 'started', ...(run.workerId ? { detail: `worker ${run.workerId}` } : {}) });
  if (run.cancelRequestedAt) events.push({ at: run.cancelRequestedAt, event: 'cancel_requested', ...(run.cancelReason ? { detail: run.cancelReason } : {}) });
  if (run.finishedAt) {
    const detail = run.error ? `${run.status}: ${run.error.code}: ${run.error.message}` : run.status;
    events.push({ at: run.finishedAt, event: 'finished', detail });
  }
  const p = run.promotion;
  if (p) {
    events.push({ at: p.requestedAt, event: 'promotion_requested', detail: `branch ${p.branch}` });
    if (p.finishedAt) {
      const detail = p.status === 'failed' ? `failed: ${p.error?.code ?? 'internal'}` : (p.pullRequestUrl ?? p.commitSha ?? p.status);
      events.push({ at: p.finishedAt, event: 'promotion_finished', detail });
    }
  }
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * The other runs of the same fan-out: dispatch gives every run of one request ids of the same
 * ULID time, and they share repo and task size. One Query on that id range.
 */
export async function siblingsOf(runs: RunStore, run: RunRecord): Promise<RunView[]> {
  const at = runIdTime(run.runId);
  const page = await runs.list(run.tenantId, { since: at, until: at, repo: run.repo, limit: 10 });
  return page.runs
    .filter((r) => r.runId !== run.runId && r.taskBytes === run.taskBytes)
    .sort((a, b) => a.runId.localeCompare(b.runId))
    .map(toRunView);
}
