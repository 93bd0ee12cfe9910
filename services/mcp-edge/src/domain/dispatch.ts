import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  artifactTagging,
  artifactKeys,
  checkRef,
  InvalidRepoError,
  newRunId,
  parseRepo,
  QuotaExceededError,
  runAttributes,
  runLogger,
  sendJob,
  sha256Hex,
  SpanKind,
  SpendLimitReachedError,
  traceparentOf,
  withSpan,
  type AgentName,
  type ChainLink,
  type IdempotencyRecord,
  type RunRecord,
  type Tags,
  type TierName,
} from '@outpost/shared';
import { refuseAgentsThatCannotRun } from './agent-readiness.js';
import type { ToolDeps } from '../deps.js';
import { resolveParents, type FollowUpParent } from './follow-ups.js';
import { refuseTokenShapedSecrets } from './input-secrets.js';
import { DispatchedRun, type DispatchInput, type DispatchOutput } from './dispatch-schema.js';
import { RefusalError } from './refusal.js';

/** Tasks larger than this (UTF-8 bytes) are stored in S3 and the run keeps only their key. */
export const INLINE_TASK_MAX_BYTES = 8 * 1024;
/** How long a duplicate dispatch waits for the winner's runs to appear. */
const REPLAY_WAIT_MS = 15_000;
const REPLAY_POLL_MS = 100;

/** What dispatch answers (`runs`, `replayed`). */
export type DispatchResult = DispatchOutput;

/**
 * dispatch: idempotency record first (conditional put), then admission, then the runs, then one
 * job message per run. A refusal gives back whatever it took, so a retry starts clean.
 */
export async function dispatch(deps: ToolDeps, input: DispatchInput, options: DispatchOptions = {}): Promise<DispatchResult> {
  const continueFrom = typeof input.continueFrom === 'string' ? [input.continueFrom] : input.continueFrom;
  const parents = continueFrom ? await resolveParents(deps, continueFrom) : [];
  const plan = validate(deps, input, parents, options);
  await refuseAgentsThatCannotRun(deps, plan.items.map((i) => i.agent));
  for (let attempt = 0; attempt < 3; attempt++) {
    // One time for every run of a fan-out: their ids share the ULID time, which groups them (the dashboard's siblings).
    const at = deps.clock.now().getTime();
    const runIds = plan.items.map(() => newRunId(at));
    if (!plan.idempotencyKey) return { runs: await admitAndCreate(deps, plan, runIds, undefined), replayed: false };
    const claim = await deps.stores.idempotency.claim({
      tenantId: deps.tenant.tenantId,
      key: plan.idempotencyKey,
      runIds,
      requestHash: plan.requestHash,
    });
    if (claim.claimed) return { runs: await admitAndCreate(deps, plan, runIds, claim.record), replayed: false };
    if (claim.record.requestHash !== plan.requestHash) {
      throw new RefusalError(
        `idempotencyKey ${JSON.stringify(plan.idempotencyKey)} was already used in the last 24 h for a different request ` +
          `(runs ${claim.record.runIds.join(', ')}); send the identical request to get those runs, or use a new key`,
      );
    }
    const runs = await awaitReplay(deps, claim.record);
    if (runs) return { runs, replayed: true };
    // The first dispatch was refused and gave its key back: go again as a fresh request.
  }
  throw new RefusalError('another dispatch with this idempotencyKey is still in progress; retry in a few seconds');
}

/** What a caller inside the edge adds to a dispatch (retry: the run's place in its chain). */
export interface DispatchOptions {
  chain?: ChainLink;
}

/** One run to create: a follow-up has its parent's repository and its own link. */
interface PlannedRun {
  agent: AgentName;
  repo: string;
  ref?: string | undefined;
  model?: string | undefined;
  chain?: ChainLink | undefined;
}

interface Plan {
  items: PlannedRun[];
  task: string;
  timeoutSeconds: number;
  maxCostUsd: number;
  idempotencyKey?: string | undefined;
  tags?: Tags | undefined;
  requestHash: string;
}

function planRuns(deps: ToolDeps, input: DispatchInput, parents: FollowUpParent[], options: DispatchOptions): PlannedRun[] {
  if (parents.length > 0) {
    if (input.agents) throw new RefusalError('with continueFrom each run continues with its own agent; leave agents out (pass agent to switch every one)');
    if (input.repo !== undefined || input.ref !== undefined) {
      throw new RefusalError("a follow-up works in its parent's repository, on the parent's result; leave repo and ref out");
    }
    return parents.map(({ run, link }) => ({
      agent: input.agent ?? run.agent,
      repo: run.repo,
      ref: run.ref,
      model: input.model ?? (input.agent && input.agent !== run.agent ? undefined : run.model),
      chain: link,
    }));
  }
  if (input.agent && input.agents) throw new RefusalError('pass either agent or agents, not both');
  const agents = input.agents ?? (input.agent ? [input.agent] : []);
  if (agents.length === 0) throw new RefusalError('pass agent (one run) or agents (fan-out, up to 5 runs)');
  if (agents.length > 5) throw new RefusalError(`agents lists ${agents.length} agents; fan-out is at most 5`);
  const repo = input.repo;
  if (repo === undefined) throw new RefusalError('pass repo (the repository to work in), or continueFrom to continue a finished run');
  // The worker's own parser: what passes here clones there (it checks again before git runs).
  try {
    parseRepo(repo, deps.config.mode);
    if (input.ref !== undefined) checkRef(input.ref);
  } catch (err) {
    if (err instanceof InvalidRepoError) throw new RefusalError(err.message);
    throw err;
  }
  // An agent may repeat: best-of-N with one agent is N distinct runs of the same task.
  return agents.map((agent) => ({ agent, repo, ref: input.ref, model: input.model, chain: options.chain }));
}

function validate(deps: ToolDeps, input: DispatchInput, parents: FollowUpParent[], options: DispatchOptions): Plan {
  const { tier } = deps.tenant;
  const limits = deps.config.tiers[tier];
  if (input.task.trim().length === 0) throw new RefusalError('task is blank; describe what the agent should do');
  const items = planRuns(deps, input, parents, options);
  const timeoutSeconds = input.timeoutSeconds ?? Math.min(limits.defaultTimeoutSeconds, limits.maxTimeoutSeconds);
  if (timeoutSeconds > limits.maxTimeoutSeconds) {
    throw new RefusalError(
      `timeoutSeconds ${timeoutSeconds} is over your tier's (${tier}) maximum of ${limits.maxTimeoutSeconds}; pass ${limits.maxTimeoutSeconds} or less`,
    );
  }
  const maxCostUsd = input.maxCostUsd ?? Math.min(limits.defaultMaxCostUsd, limits.maxCostUsdCeiling);
  if (!(maxCostUsd > 0)) throw new RefusalError(`maxCostUsd ${maxCostUsd} must be above 0 (USD a run may spend on models)`);
  if (maxCostUsd > limits.maxCostUsdCeiling) {
    throw new RefusalError(
      `maxCostUsd ${maxCostUsd} is over the ceiling of $${limits.maxCostUsdCeiling} for your tier (${tier}); pass ${limits.maxCostUsdCeiling} or less, ` +
        `or leave it out for the default of $${limits.defaultMaxCostUsd}`,
    );
  }
  if (input.tags && Object.keys(input.tags).length > 10) {
    throw new RefusalError(`tags has ${Object.keys(input.tags).length} entries; at most 10 are allowed`);
  }
  if (input.tags && Object.entries(input.tags).some(([k, v]) => k.includes('=') || v.includes('='))) {
    throw new RefusalError('tag keys and values must not contain "="; list_runs filters on key=value');
  }
  refuseTokenShapedSecrets(deps.config, deps.tenant.tenantId, input);
  const sortedTags = input.tags ? Object.fromEntries(Object.entries(input.tags).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined;
  const requestHash = sha256Hex(
    JSON.stringify({
      agents: items.map((i) => i.agent),
      task: input.task,
      repo: input.repo,
      ref: input.ref,
      model: input.model,
      continueFrom: input.continueFrom,
      retryOf: options.chain?.retryOfRunId,
      timeoutSeconds,
      maxCostUsd,
      tags: sortedTags,
    }),
  );
  return {
    items,
    task: input.task,
    timeoutSeconds,
    maxCostUsd,
    idempotencyKey: input.idempotencyKey,
    tags: input.tags,
    requestHash,
  };
}

async function admitAndCreate(deps: ToolDeps, plan: Plan, runIds: string[], claimed: IdempotencyRecord | undefined): Promise<DispatchedRun[]> {
  const { tenantId, tier } = deps.tenant;
  const limits = deps.config.tiers[tier];
  const n = runIds.length;
  const giveBackKey = async () => {
    if (claimed) await deps.stores.idempotency.release(claimed);
  };
  // Both counters and the month's spend at once (one round trip instead of three); whichever
  // counter was taken is given back if anything refuses, so a refusal leaves the counts as they were.
  const [spend, active, daily] = await Promise.allSettled([
    // No limit, nothing to read: an unlimited tier's dispatch costs what it did before budgets.
    limits.monthlySpendUsd === null ? Promise.resolve(0) : deps.stores.usage.checkMonthlySpend(tenantId, limits.monthlySpendUsd),
    deps.stores.usage.acquireActive(tenantId, n, limits.activeRunsPerTenant),
    deps.stores.usage.acquireDaily(tenantId, n, limits.runsPerDay),
  ]);
  const refused = [spend, active, daily].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (refused) {
    if (active.status === 'fulfilled') await deps.stores.usage.releaseActive(tenantId, n);
    if (daily.status === 'fulfilled') await deps.stores.usage.releaseDaily(tenantId, n);
    await giveBackKey();
    // A spent month is reported first (no waiting for a slot helps before it resets), then the
    // active limit, the one a caller can act on soonest.
    throw quotaRefusal(refused.reason, tier);
  }

  const created: RunRecord[] = [];
  // Stored on each run: recovery re-sends and promote continue the dispatch's trace.
  const traceparent = traceparentOf();
  try {
    const taskBytes = Buffer.byteLength(plan.task, 'utf8');
    for (const [i, runId] of runIds.entries()) {
      const item = plan.items[i] as PlannedRun;
      let taskKey: string | undefined;
      if (taskBytes > INLINE_TASK_MAX_BYTES) {
        taskKey = artifactKeys.artifact(tenantId, runId, 'task.txt');
        await deps.clients.s3.send(
          new PutObjectCommand({ Bucket: deps.stores.names.bucket, Key: taskKey, Body: plan.task, ContentType: 'text/plain; charset=utf-8', Tagging: artifactTagging(tier) }),
        );
      }
      created.push(
        await deps.stores.runs.create({
          tenantId,
          runId,
          tier,
          agent: item.agent,
          repo: item.repo,
          taskBytes,
          timeoutSeconds: plan.timeoutSeconds,
          maxCostUsd: plan.maxCostUsd,
          maxAttempts: deps.config.maxAttempts,
          ...(taskKey ? { taskKey } : { task: plan.task }),
          ...(item.model ? { model: item.model } : {}),
          ...(item.ref ? { ref: item.ref } : {}),
          ...(item.chain ? { chain: item.chain } : {}),
          ...(plan.tags && Object.keys(plan.tags).length > 0 ? { tags: plan.tags } : {}),
          ...(plan.idempotencyKey ? { idempotencyKey: plan.idempotencyKey } : {}),
          ...(traceparent ? { traceparent } : {}),
        }),
      );
    }
  } catch (err) {
    // Slots of runs that were never written go back; written runs keep theirs until they end.
    const missing = n - created.length;
    await deps.stores.usage.releaseActive(tenantId, missing).catch(() => {});
    await deps.stores.usage.releaseDaily(tenantId, missing).catch(() => {});
    if (created.length === 0) await giveBackKey().catch(() => {});
    throw err;
  }

  for (const run of created) {
    const log = runLogger(deps.logger, run);
    try {
      await withSpan(`enqueue ${tier}`, { kind: SpanKind.PRODUCER, attributes: runAttributes(run) }, () =>
        sendJob(deps.clients.sqs, deps.stores.queues, { tier, tenantId, runId: run.runId }),
      );
      log.info({ agent: run.agent, tier, ...(run.parentRunId ? { parentRunId: run.parentRunId } : {}) }, 'run dispatched');
    } catch (err) {
      // The run is stored and queued: the dispatcher re-sends queued runs that sat with no lease.
      log.error({ err }, 'run stored but its job message could not be sent; the dispatcher will re-send it');
    }
  }
  return created.map(toDispatched);
}

/** The runs of an earlier identical dispatch, once they all exist; undefined if its key was given back. */
async function awaitReplay(deps: ToolDeps, record: IdempotencyRecord): Promise<DispatchedRun[] | undefined> {
  const deadline = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const runs = await Promise.all(record.runIds.map((id) => deps.stores.runs.get(deps.tenant.tenantId, id)));
    if (runs.every((r): r is RunRecord => r !== undefined)) return runs.map(toDispatched);
    const current = await deps.stores.idempotency.get(deps.tenant.tenantId, record.key);
    if (!current || current.runIds.join() !== record.runIds.join()) return undefined;
    if (Date.now() > deadline) {
      throw new RefusalError('another dispatch with this idempotencyKey is still in progress; retry in a few seconds');
    }
    await new Promise((r) => setTimeout(r, REPLAY_POLL_MS));
  }
}

function toDispatched(run: RunRecord): DispatchedRun {
  return DispatchedRun.parse(run);
}

function quotaRefusal(err: unknown, tier: TierName): unknown {
  if (err instanceof SpendLimitReachedError) {
    return new RefusalError(
      `${err.message}. Limit monthlySpendUsd = ${err.limitUsd} for tier ${tier}; dispatch again from ${err.resetsAt}, or move to a tier with a higher limit.`,
      'rate_limited',
    );
  }
  if (!(err instanceof QuotaExceededError)) return err;
  const resets =
    err.resetsAt === null ? 'a slot frees when one of your queued or running runs ends (or is cancelled)' : `the count resets at ${err.resetsAt}`;
  const name = err.limit === 'activeRuns' ? 'activeRunsPerTenant' : 'runsPerDay';
  return new RefusalError(`${err.message}. Limit ${name} = ${err.max} for tier ${tier}; current count ${err.used}; ${resets}.`, 'rate_limited');
}
