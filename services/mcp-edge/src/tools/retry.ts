import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { dispatch } from '../domain/dispatch.js';
import type { ToolDeps } from '../deps.js';
import { resolveRetry } from '../domain/follow-ups.js';
import { DispatchedRun } from '../domain/dispatch-schema.js';
import { runLinks } from '../resources/run-uris.js';
import { guarded, ok } from './results.js';
import { RunIdArg } from '../domain/run-view.js';

export const RetryInputShape = {
  runId: RunIdArg.describe('A failed or timed_out run to run again.'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(128, 'idempotencyKey is over 128 characters')
    .optional()
    .describe('Retry safety: the same key within 24 h returns the same new run and starts nothing new.'),
};

export const RetryOutputShape = {
  run: DispatchedRun,
  retryOfRunId: z.string(),
  replayed: z.boolean(),
};

export const RetryInput = z.object(RetryInputShape);
export const RetryOutput = z.object(RetryOutputShape);

/** `retry`: the same task (agent, repository, parent, budget) again as a fresh run. */
export function registerRetry(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'retry',
    {
      title: 'Retry a failed run',
      description:
        'Run a failed or timed_out run again: a fresh run with the same task, agent, repository, model, timeout, budget and tags, ' +
        'and for a follow-up the same parent. Counts against your limits like any dispatch. To change a result instead, ' +
        'dispatch with continueFrom and your feedback.',
      inputSchema: RetryInput,
      outputSchema: RetryOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    ({ runId, idempotencyKey }) =>
      guarded(deps.logger, 'retry', async () => {
        const { run, task, link } = await resolveRetry(deps, runId);
        const limits = deps.config.tiers[deps.tenant.tier];
        const result = await dispatch(
          deps,
          {
            agent: run.agent,
            task,
            repo: run.repo,
            ref: run.ref,
            model: run.model,
            // The tier may have changed since: the run's own settings, within today's limits.
            timeoutSeconds: Math.min(run.timeoutSeconds, limits.maxTimeoutSeconds),
            maxCostUsd: run.maxCostUsd === undefined ? undefined : Math.min(run.maxCostUsd, limits.maxCostUsdCeiling),
            tags: run.tags,
            idempotencyKey,
          },
          { chain: link },
        );
        const [created] = result.runs;
        if (!created) throw new Error('dispatch returned no run');
        const text = result.replayed
          ? `Same idempotencyKey as an earlier retry: returning ${created.runId}; nothing new was queued.`
          : `Queued ${created.runId} (${created.agent}), a retry of ${runId}. Use wait_for_run to follow.`;
        return ok({ run: created, retryOfRunId: runId, replayed: result.replayed }, text, runLinks(created.runId, ['run', 'log']));
      }),
  );
}
