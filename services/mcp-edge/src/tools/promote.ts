import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  assertNever,
  branchNameProblem,
  defaultPromoteBranch,
  MAX_BRANCH_LENGTH,
  Promotion,
  sendJob,
  TransitionRefusedError,
  type RunRecord,
} from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { guarded, ok, refuse } from './results.js';
import { notFoundMessage, RunIdArg } from './run-view.js';
import { abortableSleep } from './abortable-sleep.js';

/** How long `promote` waits for the worker before it answers `pending`. */
export const PROMOTE_WAIT_MS = 30_000;
/** Poll interval while waiting (one consistent read each). */
const POLL_MS = 500;
/**
 * A promotion still pending after this long lost its job (a worker died with it and the message
 * went to the dead-letter queue): asking again re-sends the job. Safe: the handler is idempotent.
 */
export const STALE_PENDING_MS = 10 * 60_000;

export const PromoteInputShape = {
  runId: RunIdArg,
  branch: z
    .string()
    .max(MAX_BRANCH_LENGTH)
    .optional()
    .describe('Branch to create with the run’s changes (default outpost/<runId>). Must not exist yet; never the default branch or base.'),
  commitMessage: z
    .string()
    .min(1)
    .max(10_000)
    .optional()
    .describe('Commit message (default: the task’s first line, naming the run). If the agent committed, its commits are kept and this is used only for what it left uncommitted.'),
  createPullRequest: z.boolean().default(false).describe('Also open a GitHub pull request (needs the github_token secret). Default false.'),
  draft: z.boolean().default(false).describe('Open the pull request as a draft (only with createPullRequest). Default false.'),
  commits: z
    .enum(['one', 'chain'])
    .default('one')
    .describe("For a follow-up, whose changes include its chain's: 'one' (default) pushes the whole change as the run's result; 'chain' one commit per run of the chain, oldest first."),
  title: z.string().min(1).max(256).optional().describe('Pull request title (default: the task’s first line).'),
  body: z.string().max(60_000).optional().describe('Pull request description.'),
  base: z.string().max(MAX_BRANCH_LENGTH).optional().describe('Branch the pull request targets (default: the repository’s default branch).'),
};

export const PromoteOutputShape = {
  runId: z.string(),
  outcome: z
    .enum(['succeeded', 'pending'])
    .describe('succeeded: the branch (and pull request) exist; pending: still in progress, get_run shows the end in its promotion field.'),
  recorded: z.boolean().describe('True when this is the result of an earlier promote call for this run (nothing new was started).'),
  promotion: Promotion,
};

export type PromoteInput = {
  runId: string;
  branch?: string | undefined;
  commitMessage?: string | undefined;
  createPullRequest: boolean;
  /** Only with `createPullRequest`; refused otherwise. */
  draft?: boolean | undefined;
  commits: 'one' | 'chain';
  title?: string | undefined;
  body?: string | undefined;
  base?: string | undefined;
};

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
        inputSchema: PromoteInputShape,
        outputSchema: PromoteOutputShape,
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      (input, extra) => guarded(deps.logger, 'promote', () => promote(deps, input, waitMs, extra.signal)),
    );
  };
}

/** `promote`: records a pending promotion, queues a `promote` job on the run's tier, waits for its end. */
export const registerPromote = promoteTool();

/**
 * The promote tool's whole behaviour, as a tool result (the dashboard's promote route calls it and
 * reads `structuredContent`, or the refusal's text).
 */
export async function promote(deps: ToolDeps, input: PromoteInput, waitMs: number, signal: AbortSignal): Promise<CallToolResult> {
  const { tenantId } = deps.tenant;
  const { runId } = input;
  const run = await deps.stores.runs.get(tenantId, runId);
  if (!run) return refuse(notFoundMessage(runId));
  if (input.draft && !input.createPullRequest) {
    return refuse('draft applies to a pull request only; pass createPullRequest: true with draft, or promote without draft');
  }
  const branch = input.branch ?? defaultPromoteBranch(runId);
  const nameProblem =
    branchNameProblem(branch) ?? (input.base !== undefined ? branchNameProblem(input.base)?.replace(/^branch/, 'base') : undefined);
  if (nameProblem) return refuse(`${nameProblem}; choose another name (default outpost/<runId>)`);
  if (input.base !== undefined && input.base === branch) return refuse(`branch ${branch} is the base; promote never pushes to its base, choose another branch`);
  if (run.ref !== undefined && run.ref === branch) return refuse(`branch ${branch} is the ref the run started from; promote never pushes to it, choose another branch`);
  if (run.status !== 'succeeded') {
    const hint = run.status === 'queued' || run.status === 'running' ? '; wait for it with wait_for_run' : '';
    return refuse(`run ${runId} is ${run.status}; only a succeeded run can be promoted${hint}`);
  }

  const previous = run.promotion;
  if (previous && previous.status !== 'failed') return recorded(deps, run, previous, branch, waitMs, signal);
  if (!hasChanges(run)) return refuse(`run ${runId} made no changes (0 files changed); there is nothing to promote`);

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
async function recorded(deps: ToolDeps, run: RunRecord, p: Promotion, branch: string, waitMs: number, signal: AbortSignal): Promise<CallToolResult> {
  if (p.branch !== branch) {
    return refuse(
      `run ${run.runId} is already promoted to branch ${p.branch} (${p.status}); a run is promoted once. ` +
        `Call promote with branch ${p.branch} (or without branch) to see that result.`,
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
    await sendJob(deps.clients.sqs, deps.stores.queues, { tier: run.tier, tenantId: run.tenantId, runId: run.runId, kind: 'promote' });
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

function finish(run: RunRecord, p: Promotion, wasRecorded: boolean): CallToolResult {
  const { runId } = run;
  switch (p.status) {
    case 'failed':
      return refuse(
        `promotion of run ${runId} to branch ${p.branch} failed (${p.error?.code ?? 'internal'}): ${p.error?.message ?? 'no detail'}. ` +
          'Fix the cause and call promote again (a failed promotion may be retried, with another branch too).',
      );
    case 'pending':
      return ok(
        { runId, outcome: 'pending', recorded: wasRecorded, promotion: p },
        `Promotion of run ${runId} to branch ${p.branch} is in progress; get_run shows the result in its promotion field.`,
      );
    case 'succeeded': {
      const pr = p.pullRequestUrl ? `; ${p.draft ? 'draft ' : ''}pull request ${p.pullRequestUrl}` : '';
      const sha = p.commitSha ? ` at ${p.commitSha.slice(0, 12)}` : '';
      return ok(
        { runId, outcome: 'succeeded', recorded: wasRecorded, promotion: p },
        `${wasRecorded ? 'Already promoted' : 'Promoted'}: run ${runId} is on branch ${p.branch}${sha}${pr}.`,
      );
    }
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
