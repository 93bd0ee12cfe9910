import {
  assertNever,
  branchNameProblem,
  contextOfTraceparent,
  defaultPromoteBranch,
  linkToActive,
  runAttributes,
  sendJob,
  SpanKind,
  TransitionRefusedError,
  withSpan,
  type Promotion,
  type RunRecord,
} from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { abortableSleep } from './abortable-sleep.js';
import type { PromoteInput, PromoteOutput } from './promote-schema.js';
import { RefusalError } from './refusal.js';
import { notFoundMessage } from './run-view.js';

/** How long `promote` waits for the worker before it answers `pending`. */
export const PROMOTE_WAIT_MS = 30_000;
/** Poll interval while waiting (one consistent read each). */
const POLL_MS = 500;
/**
 * A promotion still pending after this long lost its job (a worker died with it and the message
 * went to the dead-letter queue): asking again re-sends the job. Safe: the handler is idempotent.
 */
export const STALE_PENDING_MS = 10 * 60_000;

/**
 * Promotes a succeeded run: records a pending promotion, queues a `promote` job on the run's tier,
 * waits for its end. A refusal (and a failed promotion) is a RefusalError; the promote tool and
 * the dashboard's promote route both call this.
 */
export async function promote(deps: ToolDeps, input: PromoteInput, waitMs: number, signal: AbortSignal): Promise<PromoteOutput> {
  const { tenantId } = deps.tenant;
  const { runId } = input;
  const run = await deps.stores.runs.get(tenantId, runId);
  if (!run) throw new RefusalError(notFoundMessage(runId), 'not_found');
  if (input.draft && !input.createPullRequest) {
    throw new RefusalError('draft applies to a pull request only; pass createPullRequest: true with draft, or promote without draft');
  }
  const branch = input.branch ?? defaultPromoteBranch(runId);
  const nameProblem =
    branchNameProblem(branch) ?? (input.base !== undefined ? branchNameProblem(input.base)?.replace(/^branch/, 'base') : undefined);
  if (nameProblem) throw new RefusalError(`${nameProblem}; choose another name (default outpost/<runId>)`);
  if (input.base !== undefined && input.base === branch) throw new RefusalError(`branch ${branch} is the base; promote never pushes to its base, choose another branch`);
  if (run.ref !== undefined && run.ref === branch) throw new RefusalError(`branch ${branch} is the ref the run started from; promote never pushes to it, choose another branch`);
  if (run.status !== 'succeeded') {
    const hint = run.status === 'queued' || run.status === 'running' ? '; wait for it with wait_for_run' : '';
    throw new RefusalError(`run ${runId} is ${run.status}; only a succeeded run can be promoted${hint}`, 'conflict');
  }

  const previous = run.promotion;
  if (previous && previous.status !== 'failed') return recorded(deps, run, previous, branch, waitMs, signal);
  if (!hasChanges(run)) throw new RefusalError(`run ${runId} made no changes (0 files changed); there is nothing to promote`, 'conflict');

  const promotion: Promotion = {
    status: 'pending',
    requestedAt: deps.clock.now().toISOString(),
    branch,
    createPullRequest: input.createPullRequest,
    ...(input.draft ? { draft: true } : {}),
    ...(input.commits === 'chain' && run.parentRunId ? { commits: 'chain' as const } : {}),
    ...(input.base !== undefined ? { base: input.base } : {}),
    ...(input.commitMessage !== undefined ? { commitMessage: input.commitMessage } : {}),
    ...(input.title !== undefined ? { title: input.title } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
  };
  try {
    // A failed promotion may be retried (with other parameters); anything else is written once.
    await deps.stores.runs.setPromotion({ tenantId, runId, promotion, expectStatus: previous ? 'failed' : 'absent' });
  } catch (err) {
    if (!(err instanceof TransitionRefusedError)) throw err;
    // A concurrent promote call won the write: answer with what it recorded.
    const current = err.current.promotion;
    if (!current) throw err;
    return recorded(deps, err.current, current, branch, waitMs, signal);
  }
  await enqueue(deps, run, promotion);
  return finish(run, await waitForEnd(deps, run, waitMs, signal), false);
}

/** The answer for a run that already has a pending or succeeded promotion. */
async function recorded(deps: ToolDeps, run: RunRecord, p: Promotion, branch: string, waitMs: number, signal: AbortSignal): Promise<PromoteOutput> {
  if (p.branch !== branch) {
    throw new RefusalError(
      `run ${run.runId} is already promoted to branch ${p.branch} (${p.status}); a run is promoted once. ` +
        `Call promote with branch ${p.branch} (or without branch) to see that result.`,
      'conflict',
    );
  }
  if (p.status === 'succeeded') return finish(run, p, true);
  if (deps.clock.now().getTime() - Date.parse(p.requestedAt) > STALE_PENDING_MS) {
    deps.logger.warn({ runId: run.runId, requestedAt: p.requestedAt }, 'promotion pending too long; re-sending its job');
    await enqueue(deps, run, p);
  }
  return finish(run, await waitForEnd(deps, run, waitMs, signal), true);
}

async function enqueue(deps: ToolDeps, run: RunRecord, p: Promotion): Promise<void> {
  try {
    // The promotion belongs to the run's trace (from its dispatch), linked to the call that asked.
    const parent = run.traceparent ? { parent: contextOfTraceparent(run.traceparent), links: linkToActive() } : {};
    await withSpan('promote', { kind: SpanKind.PRODUCER, attributes: runAttributes(run), ...parent }, () =>
      sendJob(deps.clients.sqs, deps.stores.queues, { tier: run.tier, tenantId: run.tenantId, runId: run.runId, kind: 'promote' }),
    );
  } catch (err) {
    // No job, no worker: mark it failed so a retry is possible at once, then report the error.
    await deps.stores.runs
      .setPromotion({
        tenantId: run.tenantId,
        runId: run.runId,
        promotion: { ...p, status: 'failed', finishedAt: deps.clock.now().toISOString(), error: { code: 'internal', message: 'the promote job could not be queued; try again' } },
        expectStatus: 'pending',
      })
      .catch(() => undefined);
    throw err;
  }
}

function finish(run: RunRecord, p: Promotion, wasRecorded: boolean): PromoteOutput {
  const { runId } = run;
  switch (p.status) {
    case 'failed':
      throw new RefusalError(
        `promotion of run ${runId} to branch ${p.branch} failed (${p.error?.code ?? 'internal'}): ${p.error?.message ?? 'no detail'}. ` +
          'Fix the cause and call promote again (a failed promotion may be retried, with another branch too).',
        'conflict',
      );
    case 'pending':
    case 'succeeded':
      return { runId, outcome: p.status, recorded: wasRecorded, promotion: p };
    default:
      return assertNever(p.status);
  }
}

/** A run has changes when it changed files or shared the agent's commits. */
function hasChanges(run: RunRecord): boolean {
  const artifacts = run.artifacts ?? [];
  if (artifacts.some((a) => a.name === 'changes.bundle')) return true;
  const patch = artifacts.find((a) => a.name === 'patch.diff');
  return patch !== undefined && patch.bytes > 0 && (run.summary?.filesChanged ?? 1) > 0;
}

/** Polls the run until its promotion leaves `pending`, the wait is over, or the call is aborted. */
async function waitForEnd(deps: ToolDeps, run: RunRecord, waitMs: number, signal: AbortSignal): Promise<Promotion> {
  const deadline = Date.now() + waitMs;
  let current = run.promotion;
  for (;;) {
    const latest = (await deps.stores.runs.get(run.tenantId, run.runId))?.promotion;
    if (latest) current = latest;
    if (current && current.status !== 'pending') return current;
    if (Date.now() >= deadline || signal.aborted || deps.shutdown.aborted) break;
    await abortableSleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), signal, deps.shutdown);
  }
  if (!current) throw new Error(`run ${run.runId} lost its promotion while waiting`);
  return current;
}
