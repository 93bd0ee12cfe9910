import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ArtifactName, ListRunsQuery, RunId, type ListRunsResponse, type RunDetailResponse } from '@outpost/dashboard-api';
import type { RunRecord } from '@outpost/shared';
import { toRunView } from '../domain/run-view.js';
import type { ApiRequest } from './context.js';
import { ApiFailureError, runNotFound, sendJson } from './headers.js';
import { issuesMessage } from './json-body.js';
import { LiveLog } from './log-chunks.js';
import { siblingsOf, timelineOf } from './run-detail.js';

/** `GET /api/runs`: one page, newest first, through the run store's list plan (as list_runs). */
export async function listRuns({ url, res, tool }: ApiRequest): Promise<void> {
  // An empty parameter (`?status=&agent=`, as a form sends it) means no filter.
  const params = Object.fromEntries([...url.searchParams].filter(([, v]) => v !== ''));
  const parsed = ListRunsQuery.safeParse(params);
  if (!parsed.success) throw new ApiFailureError('invalid_input', issuesMessage(parsed.error));
  const q = parsed.data;
  // A bad cursor's InvalidCursorError is the caller's (invalid_input): the router answers 400.
  const page = await tool.stores.runs.list(tool.tenant.tenantId, {
    ...(q.status ? { status: q.status } : {}),
    ...(q.agent ? { agent: q.agent } : {}),
    ...(q.tag ? { tag: q.tag } : {}),
    ...(q.repo ? { repo: q.repo } : {}),
    ...(q.cursor ? { cursor: q.cursor } : {}),
    limit: q.limit,
  });
  const body: ListRunsResponse = { runs: page.runs.map(toRunView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  sendJson(res, 200, body);
}

/** The tenant's run, or the 404 a missing run gets (a malformed id too: nothing tells them apart). */
export async function requireRun(request: ApiRequest, id: string): Promise<RunRecord> {
  const runId = RunId.safeParse(id);
  const run = runId.success ? await request.tool.stores.runs.get(request.tool.tenant.tenantId, runId.data) : undefined;
  if (!run) throw runNotFound(id);
  return run;
}

/** `GET /api/runs/:id`: the run as get_run shows it, its timeline, fan-out siblings and artifacts. */
export async function getRun(request: ApiRequest, id: string): Promise<void> {
  const run = await requireRun(request, id);
  const body: RunDetailResponse = {
    run: toRunView(run),
    timeline: timelineOf(run),
    siblings: await siblingsOf(request.tool.stores.runs, run),
    artifacts: (run.artifacts ?? []).map((a) => ({ name: a.name, bytes: a.bytes })),
  };
  sendJson(request.res, 200, body);
}

/** `GET /api/runs/:id/log`: log.txt once the run ended, else the live chunks so far. */
export async function downloadLog(request: ApiRequest, id: string): Promise<void> {
  const run = await requireRun(request, id);
  const { res, tool } = request;
  const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `attachment; filename="${run.runId}.log"`, 'Cache-Control': 'no-store' };
  if (run.artifacts?.some((a) => a.name === 'log.txt')) return streamArtifact(request, run, 'log.txt', headers);
  const live = new LiveLog(tool.clients.s3, tool.stores.names.bucket, run.tenantId, run.runId);
  const text = (await live.poll()).map((p) => p.text).join('');
  res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** `GET /api/runs/:id/patch`: the unified diff, or 404 while there is none. */
export async function getPatch(request: ApiRequest, id: string): Promise<void> {
  const run = await requireRun(request, id);
  if (!run.artifacts?.some((a) => a.name === 'patch.diff')) throw new ApiFailureError('not_found', `run ${run.runId} has no patch (yet)`);
  return streamArtifact(request, run, 'patch.diff', { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
}

/** `GET /api/runs/:id/artifacts/:name`: the bytes, streamed from S3 through the edge. */
export async function getArtifact(request: ApiRequest, id: string, name: string): Promise<void> {
  const run = await requireRun(request, id);
  const artifact = ArtifactName.safeParse(name);
  if (!artifact.success || !run.artifacts?.some((a) => a.name === artifact.data)) {
    throw new ApiFailureError('not_found', `run ${run.runId} has no artifact ${name}`);
  }
  const type = artifact.data.endsWith('.json') ? 'application/json' : artifact.data.endsWith('.bundle') ? 'application/octet-stream' : 'text/plain; charset=utf-8';
  return streamArtifact(request, run, artifact.data, {
    'Content-Type': type,
    'Content-Disposition': `attachment; filename="${run.runId}-${artifact.data}"`,
    'Cache-Control': 'no-store',
  });
}

async function streamArtifact(request: ApiRequest, run: RunRecord, name: ArtifactName, headers: Record<string, string>): Promise<void> {
  const ref = run.artifacts?.find((a) => a.name === name);
  if (!ref) throw new ApiFailureError('not_found', `run ${run.runId} has no artifact ${name}`);
  const out = await request.tool.clients.s3.send(new GetObjectCommand({ Bucket: request.tool.stores.names.bucket, Key: ref.key }));
  const body = out.Body;
  if (!(body instanceof Readable)) throw new Error(`artifact ${name} of ${run.runId} has no readable body`);
  request.res.writeHead(200, { ...headers, ...(out.ContentLength !== undefined ? { 'Content-Length': String(out.ContentLength) } : {}) });
  await new Promise<void>((resolve) => {
    body.on('error', (err) => {
      request.tool.logger.warn({ err, runId: run.runId, artifact: name }, 'artifact stream failed');
      request.res.destroy();
      resolve();
    });
    body.on('end', () => resolve());
    request.res.on('close', () => resolve());
    body.pipe(request.res);
  });
}
