import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AgentName } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { readRunResource } from '../resources/run-resources.js';
import { runUri } from '../resources/run-uris.js';

/** Prompt arguments are strings on the wire: agents come as a comma-separated list. */
const AgentListArg = z
  .string()
  .regex(new RegExp(`^\\s*(${AgentName.options.join('|')})(\\s*,\\s*(${AgentName.options.join('|')}))*\\s*$`), `agents is a comma-separated list of ${AgentName.options.join(', ')}`)
  .describe(`Agents to try, comma-separated (at most 5), e.g. "claude,codex,gemini". One of: ${AgentName.options.join(', ')}.`);

// completable() marks the schema it is given (once only), so module-level schemas are wrapped once.
const AgentList = completable(AgentListArg, completeAgents);

/** Completes the last entry of a comma-separated agent list. */
function completeAgents(value: string): string[] {
  const parts = value.split(',');
  const last = (parts.pop() ?? '').trim();
  const head = parts.map((p) => p.trim()).filter(Boolean);
  return AgentName.options.filter((a) => a.startsWith(last) && !head.includes(a)).map((a) => [...head, a].join(','));
}

/**
 * The edge's prompts (Claude Code shows them as `/mcp__outpost__<name>` slash commands): recipes
 * that tell the model which tools to call, with the run's data embedded where it helps.
 */
export function registerPrompts(server: McpServer, deps: ToolDeps): void {
  const recentRunIds = async (value: string) =>
    (await deps.stores.runs.list(deps.tenant.tenantId, { limit: 50 })).runs.map((r) => r.runId).filter((id) => id.startsWith(value));
  // Fresh per server: its completions are the tenant's own runs.
  const RunId = completable(z.string().describe('Run id (run_…), as dispatch or list_runs returned it.'), recentRunIds);

  server.registerPrompt(
    'fan_out',
    {
      title: 'Fan a task out to several agents and compare',
      description: 'Dispatch one task to several coding agents in parallel, wait for all, then compare their patches and recommend one.',
      argsSchema: { task: z.string().describe('What the agents should do.'), repo: z.string().describe('Repository: https git URL or owner/name.'), agents: AgentList },
    },
    ({ task, repo, agents }) => {
      const list = agents.split(',').map((a) => a.trim());
      return user(
        `Call the outpost dispatch tool once with agents ${JSON.stringify(list)}, repo ${JSON.stringify(repo)} and this task:\n\n${task}\n\n` +
          'Then call wait_for_run for each run id it returns until each has ended. For each run that succeeded, read its patch ' +
          '(the resource outpost://runs/{runId}/patch, or get_run\'s patch.diff link) and summary. Compare the runs: correctness, ' +
          'scope of the change, tests, cost. Recommend one, and say what promote call would ship it.',
      );
    },
  );

  server.registerPrompt(
    'review_patch',
    {
      title: "Review a run's patch",
      description: "Review the changes a finished run made: its patch and summary are included.",
      argsSchema: { runId: RunId },
    },
    async ({ runId }) => {
      const [summary, patch] = await Promise.all([readRunResource(deps, runId, 'summary'), readRunResource(deps, runId, 'patch')]);
      return {
        description: `Review of ${runId}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `Review the patch of Outpost run ${runId} (below, with its summary) as a careful reviewer: bugs, missing tests, ` +
                'security problems, changes outside the task. End with a verdict: promote as is, continue with feedback (say the feedback), or discard.',
            },
          },
          { role: 'user', content: { type: 'resource', resource: only(summary) } },
          { role: 'user', content: { type: 'resource', resource: only(patch) } },
        ],
      };
    },
  );

  server.registerPrompt(
    'continue_run',
    {
      title: 'Continue a run with feedback',
      description: 'A follow-up: a new run that starts from a finished run\'s result, with your feedback as its task.',
      argsSchema: { runId: RunId, feedback: z.string().describe('What the agent should change or do next.') },
    },
    ({ runId, feedback }) =>
      user(
        `Call the outpost dispatch tool with continueFrom ${JSON.stringify(runId)} and this task (leave repo and ref out):\n\n${feedback}\n\n` +
          `Then call wait_for_run on the new run until it ends, and report what changed compared with ${runUri(runId, 'patch')}.`,
      ),
  );
}

function user(text: string): GetPromptResult {
  return { messages: [{ role: 'user', content: { type: 'text', text } }] };
}

function only(result: Awaited<ReturnType<typeof readRunResource>>) {
  const [first] = result.contents;
  if (!first) throw new Error('a run resource read returned no contents');
  return first;
}
