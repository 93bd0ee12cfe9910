import { z } from 'zod';
import { isTerminal, TransitionRefusedError, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';

/** cancelled: it was queued and is now cancelled; cancel_requested: its worker stops the agent; already_ended: nothing changed. */
export const CancelOutcome = z.enum(['cancelled', 'cancel_requested', 'already_ended']);
export type CancelOutcome = z.infer<typeof CancelOutcome>;

/**
 * Cancels one of the tenant's runs: queued → cancelled now; running → cancel requested; ended →
 * unchanged. Undefined when the tenant has no such run (cancel_run and the dashboard's cancel call it).
 */
export async function cancelRun(deps: ToolDeps, runId: string, reason?: string): Promise<{ run: RunRecord; outcome: CancelOutcome } | undefined> {
  const { tenantId } = deps.tenant;
  let run = await deps.stores.runs.get(tenantId, runId);
  if (!run) return undefined;
  const input = { tenantId, runId, ...(reason ? { reason } : {}) };
  // A run can move between our read and our write; two rounds cover queued → running.
  for (let round = 0; round < 3; round++) {
    if (isTerminal(run.status)) return { run, outcome: 'already_ended' };
    try {
      if (run.status === 'queued') return { run: await deps.stores.runs.cancelQueued(input), outcome: 'cancelled' };
      return { run: await deps.stores.runs.requestCancel(input), outcome: 'cancel_requested' };
    } catch (err) {
      if (!(err instanceof TransitionRefusedError)) throw err;
      run = err.current;
    }
  }
  return { run, outcome: isTerminal(run.status) ? 'already_ended' : 'cancel_requested' };
}
