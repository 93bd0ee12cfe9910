import { runLogger, TransitionRefusedError, type RunRecord, type RunStore } from '@outpost/shared';
import type { KindHandler } from '../handle-job.js';
import { PromoteExecution, type PromoteDeps } from './promotion.js';

/**
 * The `promote` job handler. It needs no lease: the run is terminal, and only a `pending`
 * promotion is acted on, its result written conditioned on it still being pending. A duplicate
 * delivery therefore either finds the result already recorded (and settles), or rebuilds the very
 * same commit and finds the branch already at it (see PromoteExecution): never a second, different
 * push. Failures of the run's or the remote's making are recorded on the run; only a failure to
 * read or write the run itself leaves the message for another try.
 */
export function promoteHandler(deps: PromoteDeps): KindHandler {
  return async (jobDeps, job) => {
    const log = runLogger(jobDeps.logger, job).child({ kind: 'promote' });
    const run = await jobDeps.runs.get(job.tenantId, job.runId);
    if (!run) {
      log.warn({}, 'promote job for a run that does not exist; deleted');
      return { settle: true, reason: 'not_found' };
    }
    const promotion = run.promotion;
    if (promotion?.status !== 'pending') {
      log.info({ promotion: promotion?.status ?? 'absent' }, 'no pending promotion; promote job settled');
      return { settle: true, reason: 'not_pending' };
    }
    log.info({ branch: promotion.branch, createPullRequest: promotion.createPullRequest }, 'promotion started');
    const chain = promotion.commits === 'chain' ? await lineage(jobDeps.runs, run) : undefined;
    const result = await new PromoteExecution(deps, run, promotion, log, chain).execute();
    try {
      await jobDeps.runs.setPromotion({ tenantId: run.tenantId, runId: run.runId, promotion: result, expectStatus: 'pending' });
    } catch (err) {
      if (!(err instanceof TransitionRefusedError)) throw err;
      log.info({}, 'promotion result already recorded by another delivery');
      return { settle: true, reason: 'already_recorded' };
    }
    log.info({ status: result.status, code: result.error?.code }, 'promotion recorded');
    return { settle: true, reason: `promotion_${result.status}` };
  };
}

/** The runs of `run`'s chain from its first to itself, by parent links (same tenant); stops at a run that is gone. */
async function lineage(runs: RunStore, run: RunRecord): Promise<RunRecord[]> {
  const out = [run];
  for (let r = run; r.parentRunId && out.length <= 100; ) {
    const parent = await runs.get(r.tenantId, r.parentRunId);
    if (!parent) break;
    out.unshift(parent);
    r = parent;
  }
  return out;
}
