import { DispatchRequest, PromoteRequest, PromoteResponse, type CancelRunResponse, type DispatchResponse } from '@outpost/dashboard-api';
import { dispatch } from '../domain/dispatch.js';
import { cancelRun } from '../domain/cancel.js';
import { promote, PROMOTE_WAIT_MS } from '../domain/promote.js';
import { RefusalError } from '../domain/refusal.js';
import { toRunView } from '../domain/run-view.js';
import type { ApiRequest } from './context.js';
import { ApiFailureError, runNotFound, sendJson } from './headers.js';
import { readJson } from './json-body.js';
import { requireRun } from './routes-runs.js';

/** `POST /api/runs/:id/cancel`: cancel_run's domain code; a run that already ended is a 409. */
export async function cancel(request: ApiRequest, id: string): Promise<void> {
  const run = await requireRun(request, id);
  const result = await cancelRun(request.tool, run.runId, 'cancelled from the dashboard');
  if (!result) throw runNotFound(id);
  if (result.outcome === 'already_ended') throw new ApiFailureError('conflict', `run ${run.runId} already ended (${result.run.status}); nothing changed`);
  const body: CancelRunResponse = { run: toRunView(result.run), outcome: result.outcome };
  sendJson(request.res, 200, body);
}

/** `POST /api/runs/:id/promote`: the domain's promote; its refusals become 404 (no such run) or 409. */
export async function promoteRun(request: ApiRequest, id: string, signal: AbortSignal): Promise<void> {
  const input = await readJson(request.req, PromoteRequest);
  const run = await requireRun(request, id);
  const result = await promote(
    request.tool,
    {
      runId: run.runId,
      createPullRequest: input.mode === 'pull_request',
      draft: input.draft === true,
      commits: input.commits,
      ...(input.branch ? { branch: input.branch } : {}),
      ...(input.title ? { title: input.title } : {}),
      ...(input.body ? { body: input.body } : {}),
    },
    PROMOTE_WAIT_MS,
    signal,
  ).catch((err: unknown) => {
    if (!(err instanceof RefusalError)) throw err;
    // Every refusal of a promotion is about the run's state here (the route checked its input): 409.
    throw err.code === 'not_found' ? runNotFound(id) : new ApiFailureError('conflict', err.message, {}, { cause: err });
  });
  sendJson(request.res, 200, PromoteResponse.parse(result));
}

/** `POST /api/dispatch`: the edge's dispatch (admission, quotas, readiness, secrets), one run per agent. */
export async function dispatchRuns(request: ApiRequest): Promise<void> {
  const input = await readJson(request.req, DispatchRequest);
  const tags = input.tags ? Object.fromEntries(input.tags.map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)])) : undefined;
  // A refusal (RefusalError: invalid_input, or rate_limited for a tier limit) is answered by the router.
  const result = await dispatch(request.tool, {
    agents: input.agents,
    task: input.task,
    repo: input.repo,
    ...(input.ref ? { ref: input.ref } : {}),
    ...(input.model ? { model: input.model } : {}),
    ...(input.timeoutSeconds ? { timeoutSeconds: input.timeoutSeconds } : {}),
    ...(tags ? { tags } : {}),
  });
  const runs = await Promise.all(result.runs.map((r) => request.tool.stores.runs.get(request.tool.tenant.tenantId, r.runId)));
  const body: DispatchResponse = { runs: runs.flatMap((r) => (r ? [toRunView(r)] : [])) };
  sendJson(request.res, 200, body);
}
