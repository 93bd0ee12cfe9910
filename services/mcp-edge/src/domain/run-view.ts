import { z } from 'zod';
import { PublicRun, RUN_ID_PATTERN, toPublicRun, type RunRecord } from '@outpost/shared';

/** A run id argument; the pattern says what a run id looks like. */
export const RunIdArg = z
  .string()
  .regex(RUN_ID_PATTERN, 'runId must be a run id as dispatch returned it: run_ followed by 26 characters')
  .describe('Run id, as returned by dispatch or list_runs.');

/** A run as a client sees it in tool output: no lease internals, no log tail (get_run has `log`). */
export const RunView = PublicRun.omit({ logTail: true });
export type RunView = z.infer<typeof RunView>;

export function toRunView(run: RunRecord): RunView {
  const { logTail, ...rest } = toPublicRun(run);
  void logTail;
  return rest;
}

/** Word for word the same for a missing run and another tenant's run. */
export function notFoundMessage(runId: string): string {
  return `run ${runId} not found; check the id (list_runs shows your runs)`;
}

/** One line about a run for the human-readable part of a result. */
export function describeRun(run: RunRecord): string {
  const parts = [`${run.runId} ${run.status}`, `agent ${run.agent}`, `attempt ${run.attempt}/${run.maxAttempts}`];
  if (run.cancelRequestedAt && run.status === 'running') parts.push('cancel requested');
  if (run.error) parts.push(`error ${run.error.code}: ${run.error.message}`);
  if (run.summary) parts.push(`${run.summary.filesChanged} files changed (+${run.summary.insertions}/-${run.summary.deletions})`);
  if (run.spend) {
    const of = run.maxCostUsd !== undefined ? ` of $${run.maxCostUsd.toFixed(2)}` : '';
    parts.push(`spent $${run.spend.costUsd.toFixed(4)}${of} (${run.spend.calls} model calls)`);
  } else if (run.maxCostUsd !== undefined) parts.push(`budget $${run.maxCostUsd.toFixed(2)}`);
  return parts.join(', ');
}

/** The last non-empty line of a run's log tail, if any. */
export function lastLogLine(run: RunRecord): string | undefined {
  const lines = (run.logTail ?? '').split('\n').filter((l) => l.trim().length > 0);
  return lines[lines.length - 1];
}
