import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { RunStatus, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { cancelRun, CancelOutcome } from '../domain/cancel.js';
import { guarded, ok, refuse } from './results.js';
import { notFoundMessage, RunIdArg, RunView, toRunView } from '../domain/run-view.js';

export const CancelRunInputShape = {
  runId: RunIdArg,
  reason: z.string().max(500).optional().describe('Why, kept on the run.'),
};

export const CancelRunOutputShape = {
  run: RunView,
  outcome: CancelOutcome.describe('cancelled: it was queued and is now cancelled; cancel_requested: its worker is stopping the agent; already_ended: nothing changed.'),
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

function result(run: RunRecord, outcome: CancelOutcome) {
  const text =
    outcome === 'cancelled'
      ? `${run.runId} was queued and is now cancelled.`
      : outcome === 'cancel_requested'
        ? `${run.runId} is running; cancellation requested, its worker stops the agent shortly.`
        : `${run.runId} had already ended (${run.status}); nothing changed.`;
  return ok({ run: toRunView(run), outcome, status: run.status }, text);
}
