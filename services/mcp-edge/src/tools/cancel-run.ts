import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { RunStatus, TransitionRefusedError, isTerminal, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { guarded, ok, refuse } from './results.js';
import { notFoundMessage, RunIdArg, RunView, toRunView } from './run-view.js';

export const CancelRunInputShape = {
  runId: RunIdArg,
  reason: z.string().max(500).optional().describe('Why, kept on the run.'),
};

export const CancelRunOutputShape = {
  run: RunView,
  outcome: z
    .enum(['cancelled', 'cancel_requested', 'already_ended'])
    .describe('cancelled: it was queued and is now cancelled; cancel_requested: its worker is stopping the agent; already_ended: nothing changed.'),
  status: RunStatus,
};

// Whole object schemas, built once: given raw shapes, the SDK would build them on every
// registration, i.e. on every request of the stateless server.
export const CancelRunInput = z.object(CancelRunInputShape);
export const CancelRunOutput = z.object(CancelRunOutputShape);

/** `cancel_run`: queued → cancelled now; running → cancel requested; ended → unchanged. */
export function registerCancelRun(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'cancel_run',
    {
      title: 'Cancel a run',
      description:
        'Cancel a run. A queued run is cancelled at once; a running one has its agent stopped by the worker ' +
        '(use wait_for_run to see it end); a run that already ended is left unchanged and the result says so.',
      inputSchema: CancelRunInput,
      outputSchema: CancelRunOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ runId, reason }) =>
      guarded(deps.logger, 'cancel_run', async () => {
        const cancelled = await cancelRun(deps, runId, reason);
        if (!cancelled) return refuse(notFoundMessage(runId));
        return result(cancelled.run, cancelled.outcome);
      }),
  );
}

export type CancelOutcome = 'cancelled' | 'cancel_requested' | 'already_ended';

/**
 * Cancels one of the tenant's runs: queued → cancelled now; running → cancel requested; ended →
 * unchanged. Undefined when the tenant has no such run (the dashboard's cancel uses it too).
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

function result(run: RunRecord, outcome: CancelOutcome) {
  const text =
    outcome === 'cancelled'
      ? `${run.runId} was queued and is now cancelled.`
      : outcome === 'cancel_requested'
        ? `${run.runId} is running; cancellation requested, its worker stops the agent shortly.`
        : `${run.runId} had already ended (${run.status}); nothing changed.`;
  return ok({ run: toRunView(run), outcome, status: run.status }, text);
}
