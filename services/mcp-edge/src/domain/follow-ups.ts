import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { followUpLink, isTerminal, retryLink, type ChainLink, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { notFoundMessage } from './run-view.js';
import { RefusalError } from './refusal.js';

/** At most this many runs are continued by one dispatch (a fan-out's siblings). */
export const MAX_CONTINUE_FROM = 5;

/** A run a follow-up continues, checked: same tenant, ended, its changes still stored, room in its chain. */
export interface FollowUpParent {
  run: RunRecord;
  link: ChainLink;
}

/**
 * The parents of a follow-up dispatch, each checked in the order a caller can act on: exists
 * (another tenant's run reads exactly like a missing one), has ended, still has its changes
 * (retention, and a HeadObject on the object the worker will replay), and its chain has room.
 */
export async function resolveParents(deps: ToolDeps, ids: readonly string[]): Promise<FollowUpParent[]> {
  if (ids.length === 0) throw new RefusalError('continueFrom is empty; name the run (or up to 5 runs) to continue');
  if (ids.length > MAX_CONTINUE_FROM) throw new RefusalError(`continueFrom names ${ids.length} runs; at most ${MAX_CONTINUE_FROM} can be continued at once`);
  if (new Set(ids).size !== ids.length) throw new RefusalError('continueFrom names a run twice; name each run once');
  const { tier } = deps.tenant;
  const maxDepth = deps.config.tiers[tier].maxChainDepth;
  const parents: FollowUpParent[] = [];
  for (const id of ids) {
    const run = await deps.stores.runs.get(deps.tenant.tenantId, id);
    if (!run) throw new RefusalError(notFoundMessage(id));
    if (!isTerminal(run.status)) {
      throw new RefusalError(`run ${id} is still ${run.status}; a follow-up starts from a finished run: wait_for_run until it ends, then continue it`);
    }
    await requireChanges(deps, run);
    const link = followUpLink(run);
    if (link.chainDepth > maxDepth) {
      throw new RefusalError(
        `run ${id} is already ${run.chainDepth ?? 0} follow-up(s) deep; a chain holds at most ${maxDepth} follow-ups on tier ${tier} ` +
          `(maxChainDepth). Promote it, or dispatch a fresh run with the whole task`,
      );
    }
    parents.push({ run, link });
  }
  return parents;
}

/** The run a retry repeats: the caller's, ended failed or timed_out; the retry keeps its task and its place in the chain. */
export async function resolveRetry(deps: ToolDeps, runId: string): Promise<{ run: RunRecord; task: string; link: ChainLink }> {
  const run = await deps.stores.runs.get(deps.tenant.tenantId, runId);
  if (!run) throw new RefusalError(notFoundMessage(runId));
  if (run.status !== 'failed' && run.status !== 'timed_out') {
    const what = isTerminal(run.status) ? `ended ${run.status}` : `is still ${run.status}`;
    throw new RefusalError(
      `run ${runId} ${what}; retry is for failed or timed_out runs` +
        (run.status === 'succeeded' ? ' (to change its result, dispatch with continueFrom and your feedback)' : ''),
    );
  }
  if (run.parentRunId) {
    const parent = await deps.stores.runs.get(run.tenantId, run.parentRunId);
    if (!parent) throw new RefusalError(`run ${runId} continued ${run.parentRunId}, which is gone; dispatch a fresh run instead`);
    await requireChanges(deps, parent);
  }
  return { run, task: await readTask(deps, run), link: retryLink(run) };
}

async function requireChanges(deps: ToolDeps, run: RunRecord): Promise<void> {
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  const expired = () =>
    new RefusalError(
      `run ${run.runId}'s artifacts have expired (runs are kept ${deps.config.tiers[run.tier].retentionDays} days on tier ${run.tier}), ` +
        'so its changes cannot be continued; dispatch a fresh run with the whole task',
    );
  if (run.expiresAt !== undefined && run.expiresAt <= nowSeconds) throw expired();
  const artifact = run.artifacts?.find((a) => a.name === 'changes.bundle') ?? run.artifacts?.find((a) => a.name === 'patch.diff');
  if (!run.baseCommit || !artifact) {
    throw new RefusalError(
      `run ${run.runId} left no changes to continue from (it ended ${run.status} before its repository was cloned); use retry, or dispatch a fresh run`,
    );
  }
  try {
    await deps.clients.s3.send(new HeadObjectCommand({ Bucket: deps.stores.names.bucket, Key: artifact.key }));
  } catch (err) {
    if (err instanceof Error && (err.name === 'NotFound' || err.name === 'NoSuchKey')) throw expired();
    throw err;
  }
}

async function readTask(deps: ToolDeps, run: RunRecord): Promise<string> {
  if (run.task !== undefined) return run.task;
  if (!run.taskKey) throw new RefusalError(`run ${run.runId} has no task to repeat; dispatch a fresh run`);
  try {
    const out = await deps.clients.s3.send(new GetObjectCommand({ Bucket: deps.stores.names.bucket, Key: run.taskKey }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchKey') throw new RefusalError(`run ${run.runId}'s task has expired; dispatch a fresh run with it`);
    throw err;
  }
}
