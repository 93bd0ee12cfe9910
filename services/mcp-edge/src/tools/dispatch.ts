import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { dispatch } from '../domain/dispatch.js';
import { DispatchInput, DispatchOutput } from '../domain/dispatch-schema.js';
import type { ToolDeps } from '../deps.js';
import { runLinks } from '../resources/run-uris.js';
import { guarded, ok } from './results.js';

/** `dispatch`: queue a coding task for one agent or several. */
export function registerDispatch(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'dispatch',
    {
      title: 'Dispatch a coding task',
      description:
        'Hand a coding task to a headless coding agent (claude, codex, gemini, aider, grok, or shell for a shell script) ' +
        'working in a fresh clone of a repository. Returns at once with queued run ids; follow up with wait_for_run or ' +
        'get_run. Pass `continueFrom` with a finished run id (or a fan-out\'s ids) and your feedback as `task` to continue that work. ' +
        'Pass `agents` to try the same task with several agents in parallel, or one agent several times. Pass an idempotencyKey when you ' +
        'might retry, so a retry never starts duplicate runs.',
      inputSchema: DispatchInput,
      outputSchema: DispatchOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (input) =>
      guarded(deps.logger, 'dispatch', async () => {
        const result = await dispatch(deps, input);
        const ids = result.runs.map((r) => `${r.runId} (${r.agent})`).join(', ');
        const text = result.replayed
          ? `Same idempotencyKey as an earlier dispatch: returning its runs ${ids}; nothing new was queued.`
          : `Queued ${result.runs.length === 1 ? 'run' : `${result.runs.length} runs`} ${ids} on tier ${deps.tenant.tier}. Use wait_for_run or get_run to follow.`;
        return ok(DispatchOutput.parse(result), text, result.runs.flatMap((r) => runLinks(r.runId, ['run', 'log'])));
      }),
  );
}
