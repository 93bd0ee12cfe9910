import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { RUN_ID_PATTERN, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { readLogLines } from '../run-logs.js';
import { notFoundMessage, toRunView } from '../domain/run-view.js';
import { RUN_RESOURCES, runUri, type RunResourceKind } from './run-uris.js';

/** The spec's code for "no such resource" (the SDK has no constant for it). */
export const RESOURCE_NOT_FOUND = -32002;
/** How many recent runs resources/list and completions offer. */
const RECENT_RUNS = 50;
const LOG_LINES = 1_000;
const LOG_MAX_BYTES = 256 * 1024;
const PATCH_MAX_BYTES = 1024 * 1024;

/**
 * Runs as resources: `outpost://runs/{runId}` and its `/log`, `/patch`, `/summary`. Each read
 * passes the tools' tenant check: another tenant's run is the same "not found" as a missing one.
 */
export function registerRunResources(server: McpServer, deps: ToolDeps): void {
  const recent = async () => (await deps.stores.runs.list(deps.tenant.tenantId, { limit: RECENT_RUNS })).runs;
  const complete = {
    runId: async (value: string) => (await recent()).map((r) => r.runId).filter((id) => id.startsWith(value)),
  };
  for (const kind of Object.keys(RUN_RESOURCES) as RunResourceKind[]) {
    const meta = RUN_RESOURCES[kind];
    const template = new ResourceTemplate(`outpost://runs/{runId}${meta.suffix}`, {
      // Only the run itself is listed: four entries per run would drown the list.
      list:
        kind === 'run'
          ? async () => ({
              resources: (await recent()).map((r) => ({
                uri: runUri(r.runId),
                name: r.runId,
                title: `${r.runId} ${r.status} (${r.agent})`,
                mimeType: meta.mimeType,
                ...(r.task ? { description: firstLine(r.task) } : {}),
              })),
            })
          : undefined,
      complete,
    });
    server.registerResource(`run${kind === 'run' ? '' : `-${kind}`}`, template, { title: meta.title, description: meta.description, mimeType: meta.mimeType }, (_uri, variables) =>
      readRunResource(deps, typeof variables.runId === 'string' ? variables.runId : '', kind),
    );
  }
}

/** One of a run's resources, for the tenant of `deps`; throws RESOURCE_NOT_FOUND for a missing or another tenant's run. */
export async function readRunResource(deps: ToolDeps, runId: string, kind: RunResourceKind): Promise<ReadResourceResult> {
  const uri = runUri(runId, kind);
  const run = RUN_ID_PATTERN.test(runId) ? await deps.stores.runs.get(deps.tenant.tenantId, runId) : undefined;
  if (!run) throw new McpError(RESOURCE_NOT_FOUND, notFoundMessage(runId), { uri });
  return READERS[kind](deps, run, uri);
}

type Reader = (deps: ToolDeps, run: RunRecord, uri: string) => Promise<ReadResourceResult>;

const READERS: Record<RunResourceKind, Reader> = {
  run: async (_deps, run, uri) => json(uri, toRunView(run)),
  summary: async (_deps, run, uri) =>
    json(uri, {
      runId: run.runId,
      status: run.status,
      ...(run.error ? { error: run.error } : {}),
      ...(run.summary ? { summary: run.summary } : {}),
      ...(run.spend ? { spend: run.spend } : {}),
    }),
  log: async (deps, run, uri) => {
    const { lines, source } = await readLogLines(deps.clients.s3, deps.stores.names.bucket, run, LOG_LINES);
    let text = lines.length ? `${lines.join('\n')}\n` : '';
    const truncated = Buffer.byteLength(text) > LOG_MAX_BYTES;
    // Keep the newest bytes, from a line start.
    if (truncated) text = Buffer.from(text).subarray(-LOG_MAX_BYTES).toString('utf8').replace(/^[^\n]*\n/, '');
    return { contents: [{ uri, mimeType: 'text/plain', text, _meta: { source, lines: lines.length, truncated } }] };
  },
  patch: async (deps, run, uri) => {
    const artifact = run.artifacts?.find((a) => a.name === 'patch.diff');
    if (!artifact) {
      throw new McpError(RESOURCE_NOT_FOUND, `run ${run.runId} has no patch yet (status ${run.status}); a patch exists once the run has finished with changes`, { uri });
    }
    const out = await deps.clients.s3.send(
      new GetObjectCommand({ Bucket: deps.stores.names.bucket, Key: artifact.key, Range: `bytes=0-${PATCH_MAX_BYTES - 1}` }),
    );
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    return { contents: [{ uri, mimeType: 'text/x-diff', text, _meta: { bytes: artifact.bytes, truncated: artifact.bytes > PATCH_MAX_BYTES } }] };
  },
};

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
