import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AgentName, ArtifactName, isTerminal, Promotion, RunStatus, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { readLogLines } from '../run-logs.js';
import { runLinks } from '../resources/run-uris.js';
import { guarded, ok, refuse } from './results.js';
import { describeRun, notFoundMessage, RunIdArg, RunView, toRunView } from '../domain/run-view.js';

/** Presigned artifact URLs live this long. */
export const ARTIFACT_URL_SECONDS = 15 * 60;

export const GetRunInputShape = {
  runId: RunIdArg,
  logLines: z
    .number()
    .int()
    .min(0)
    .max(500, 'logLines is at most 500; read the full log from the log.txt artifact URL')
    .default(40)
    .describe('How many of the last log lines to include (default 40, at most 500).'),
};

export const ArtifactLink = z.object({
  name: ArtifactName,
  bytes: z.number().int().nonnegative(),
  url: z.string().describe('Presigned GET URL, valid 15 minutes.'),
  expiresAt: z.string(),
});

/** A follow-up (or retry) of the run, in a line. */
export const ChildRun = z.object({ runId: z.string(), status: RunStatus, agent: AgentName, createdAt: z.string(), retryOfRunId: z.string().optional() });

export const GetRunOutputShape = {
  run: RunView,
  children: z.array(ChildRun).describe('Runs that continue this one (follow-ups and their retries), oldest first; run.parentRunId is the run it continues.'),
  log: z.object({ lines: z.array(z.string()), source: z.enum(['tail', 'chunks', 'none']) }),
  artifacts: z.array(ArtifactLink),
  promotion: Promotion.optional(),
};

// Whole object schemas, built once: given raw shapes, the SDK would build them on every
// registration, i.e. on every request of the stateless server.
export const GetRunInput = z.object(GetRunInputShape);
export const GetRunOutput = z.object(GetRunOutputShape);

/** `get_run`: one run, its log tail, summary, artifact links and promotion state. */
export function registerGetRun(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_run',
    {
      title: 'Get a run',
      description:
        'Status and details of one run: status, attempt, error, summary (files changed, usage/cost), its model ' +
        'budget (maxCostUsd) and spend (live while it runs), the last log ' +
        'lines, download links for its artifacts (log.txt, patch.diff, changes.bundle, summary.json, session.tar.gz; valid 15 min) ' +
        'and promotion state; for follow-ups its parent (run.parentRunId) and children. Works right after dispatch. Use wait_for_run instead of calling this in a loop.',
      inputSchema: GetRunInput,
      outputSchema: GetRunOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ runId, logLines }) =>
      guarded(deps.logger, 'get_run', async () => {
        const run = await deps.stores.runs.get(deps.tenant.tenantId, runId);
        if (!run) return refuse(notFoundMessage(runId));
        const [log, artifacts, childRuns] = await Promise.all([
          readLogLines(deps.clients.s3, deps.stores.names.bucket, run, logLines),
          artifactLinks(deps, run),
          // Only an ended run can be continued (resolveParents), so a queued or running one (what
          // clients poll) has no children: the index Query is skipped.
          isTerminal(run.status) ? deps.stores.chains.children(run.tenantId, run.runId) : [],
        ]);
        const children = childRuns.map((c) => ({
          runId: c.runId,
          status: c.status,
          agent: c.agent,
          createdAt: c.createdAt,
          ...(c.retryOfRunId ? { retryOfRunId: c.retryOfRunId } : {}),
        }));
        const chain = [
          ...(run.parentRunId ? [`continues ${run.parentRunId} (chain ${run.chainRootId}, depth ${run.chainDepth})`] : []),
          ...(run.continuation ? [`conversation: ${run.continuation.mode}${run.continuation.reason ? ` (${run.continuation.reason})` : ''}`] : []),
          ...(children.length ? [`follow-ups: ${children.map((c) => `${c.runId} ${c.status}`).join(', ')}`] : []),
        ];
        const last = log.lines[log.lines.length - 1];
        const text = `${describeRun(run)}.${chain.length ? `\n${chain.join('; ')}` : ''}${last ? `\nLast log line: ${last}` : ''}${artifacts.length ? `\nArtifacts: ${artifacts.map((a) => a.name).join(', ')}` : ''}`;
        return ok({ run: toRunView(run), children, log, artifacts, ...(run.promotion ? { promotion: run.promotion } : {}) }, text, runLinks(run.runId));
      }),
  );
}

async function artifactLinks(deps: ToolDeps, run: RunRecord): Promise<z.infer<typeof ArtifactLink>[]> {
  const expiresAt = new Date(deps.clock.now().getTime() + ARTIFACT_URL_SECONDS * 1000).toISOString();
  return Promise.all(
    (run.artifacts ?? []).map(async (a) => ({
      name: a.name,
      bytes: a.bytes,
      url: await getSignedUrl(deps.clients.s3, new GetObjectCommand({ Bucket: deps.stores.names.bucket, Key: a.key }), {
        expiresIn: ARTIFACT_URL_SECONDS,
      }),
      expiresAt,
    })),
  );
}
