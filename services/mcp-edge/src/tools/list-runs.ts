import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AgentName, chainRootOf, InvalidCursorError, RunStatus, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { runLinks } from '../resources/run-uris.js';
import { guarded, ok, refuse } from './results.js';
import { notFoundMessage, RunIdArg, RunView, toRunView } from '../domain/run-view.js';

export const ListRunsInputShape = {
  status: RunStatus.optional().describe('Only runs in this status.'),
  agent: AgentName.optional().describe('Only runs of this agent.'),
  tag: z
    .string()
    .regex(/^[^=]+=[^=]*$/, 'tag must be key=value, e.g. ticket=ABC-12')
    .optional()
    .describe('Only runs carrying this tag, written key=value.'),
  since: z.iso.datetime({ offset: true, message: 'since must be an ISO-8601 time, e.g. 2026-01-31T00:00:00Z' }).optional().describe('Only runs created at or after this ISO-8601 time.'),
  chain: RunIdArg.optional().describe('Only the follow-up chain this run belongs to (its first run and every follow-up), oldest first; not combined with other filters.'),
  limit: z.number().int().min(1).max(100, 'limit is at most 100; page with nextCursor').default(20).describe('Page size (default 20, at most 100).'),
  cursor: z.string().min(1).max(2048).optional().describe('nextCursor of the previous page (same filters).'),
};

export const ListRunsOutputShape = {
  runs: z.array(RunView),
  nextCursor: z.string().optional().describe('Pass as cursor (with the same filters) for the next page; absent on the last page.'),
};

// Whole object schemas, built once: given raw shapes, the SDK would build them on every
// registration, i.e. on every request of the stateless server.
export const ListRunsInput = z.object(ListRunsInputShape);
export const ListRunsOutput = z.object(ListRunsOutputShape);

/** `list_runs`: the caller's runs, newest first, one Query per page. */
export function registerListRuns(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'list_runs',
    {
      title: 'List runs',
      description:
        'Your runs, newest first, optionally filtered by status, agent, tag (key=value) or creation time; or one follow-up chain (`chain`). ' +
        'Returns up to `limit` runs and a nextCursor for the next page.',
      inputSchema: ListRunsInput,
      outputSchema: ListRunsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input) =>
      guarded(deps.logger, 'list_runs', async () => {
        if (input.chain) return listChain(deps, input);
        try {
          const page = await deps.stores.runs.list(deps.tenant.tenantId, {
            ...(input.status ? { status: input.status } : {}),
            ...(input.agent ? { agent: input.agent } : {}),
            ...(input.tag ? { tag: input.tag } : {}),
            ...(input.since ? { since: new Date(input.since) } : {}),
            limit: input.limit,
            ...(input.cursor ? { cursor: input.cursor } : {}),
          });
          const lines = page.runs.map((r) => `${r.runId} ${r.status} ${r.agent} ${r.createdAt}`);
          const text = page.runs.length
            ? `${page.runs.length} run(s):\n${lines.join('\n')}${page.nextCursor ? '\nMore: pass nextCursor.' : ''}`
            : 'No runs match.';
          return ok({ runs: page.runs.map(toRunView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, text, page.runs.flatMap((r) => runLinks(r.runId, ['run'])));
        } catch (err) {
          if (err instanceof InvalidCursorError) return refuse(err.message);
          throw err;
        }
      }),
  );
}

async function listChain(deps: ToolDeps, input: z.infer<typeof ListRunsInput>) {
  const id = input.chain as string;
  if (input.status || input.agent || input.tag || input.since || input.cursor) {
    return refuse('chain lists one chain whole; leave status, agent, tag, since and cursor out');
  }
  const { tenantId } = deps.tenant;
  const named = await deps.stores.runs.get(tenantId, id);
  if (!named) return refuse(notFoundMessage(id));
  const rootId = chainRootOf(named);
  const root: RunRecord | undefined = rootId === named.runId ? named : await deps.stores.runs.get(tenantId, rootId);
  const members = await deps.stores.chains.members(tenantId, rootId, input.limit);
  const runs = [...(root ? [root] : []), ...members].slice(0, input.limit);
  const lines = runs.map((r) => `${r.runId} ${r.status} ${r.agent} depth ${r.chainDepth ?? 0}${r.parentRunId ? ` ← ${r.parentRunId}` : ''}`);
  return ok({ runs: runs.map(toRunView) }, `Chain of ${rootId}, ${runs.length} run(s), oldest first:\n${lines.join('\n')}`, runs.flatMap((r) => runLinks(r.runId, ['run'])));
}
