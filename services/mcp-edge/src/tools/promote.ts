import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../deps.js';
import { PROMOTE_WAIT_MS, promote } from '../domain/promote.js';
import { PromoteInput, PromoteOutput } from '../domain/promote-schema.js';
import { guarded, ok } from './results.js';

/** `promote` with its wait made configurable (tests); `registerPromote` is the one the edge serves. */
export function promoteTool(options: { waitMs?: number } = {}) {
  const waitMs = options.waitMs ?? PROMOTE_WAIT_MS;
  return (server: McpServer, deps: ToolDeps): void => {
    server.registerTool(
      'promote',
      {
        title: 'Promote a run’s changes to a branch',
        description:
          'Turn a succeeded run’s changes into a new branch in its repository (pushed without force, never to the default ' +
          'branch or base), optionally with a GitHub pull request. Waits up to 30 s; if still pending, get_run shows the ' +
          'result later in its promotion field. Calling it again for the same run returns the recorded result.',
        inputSchema: PromoteInput,
        outputSchema: PromoteOutput,
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      (input, extra) =>
        guarded(deps.logger, 'promote', async () => {
          const out = await promote(deps, input, waitMs, extra.signal);
          return ok(out, describe(out));
        }),
    );
  };
}

/** `promote`: records a pending promotion, queues a `promote` job on the run's tier, waits for its end. */
export const registerPromote = promoteTool();

function describe({ runId, outcome, recorded, promotion: p }: PromoteOutput): string {
  if (outcome === 'pending') return `Promotion of run ${runId} to branch ${p.branch} is in progress; get_run shows the result in its promotion field.`;
  const pr = p.pullRequestUrl ? `; ${p.draft ? 'draft ' : ''}pull request ${p.pullRequestUrl}` : '';
  const sha = p.commitSha ? ` at ${p.commitSha.slice(0, 12)}` : '';
  return `${recorded ? 'Already promoted' : 'Promoted'}: run ${runId} is on branch ${p.branch}${sha}${pr}.`;
}
