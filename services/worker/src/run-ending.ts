import path from 'node:path';
import {
  assertNever,
  LeaseLostError,
  redact,
  type AgentName,
  type ArtifactRef,
  type FinishInput,
  type Logger,
  type RunError,
  type RunRecord,
  type RunSpendView,
  type RunStore,
  type RunSummary,
  type TerminalStatus,
  type Usage,
  withSpan,
} from '@outpost/shared';
import type { AgentExit } from './agent-process.js';
import { ADAPTERS } from './agents/index.js';
import type { AgentResult } from './agents/types.js';
import { uploadFile, uploadJson, type ArtifactTarget } from './artifacts.js';
import { archiveSession } from './follow-up.js';
import type { RunGrant } from './gateway/run-grant.js';
import type { LogSink } from './log-sink.js';
import { decideFailure } from './run-errors.js';
import type { CollectedChanges, Workspace } from './workspace.js';

/** How a run execution ended, from the message's point of view. */
export type RunOutcome =
  | { kind: 'finished'; status: TerminalStatus }
  /** The lease went to someone else: nothing was written; the message is not ours to settle. */
  | { kind: 'lost' }
  /**
   * Handed back to the queue (a drain, or a retry after a worker-side failure): the message should
   * become visible again, after `retryInSeconds` when set.
   */
  | { kind: 'released'; retryInSeconds?: number };

/**
 * Why the worker stopped the agent; `failure`: its own output showed a failure (a refused key);
 * `budget`: the gateway refused a model call for the run's or the tenant's spending limit.
 */
export type StopReason = 'cancel' | 'timeout' | 'drain' | 'lost' | 'failure' | 'budget';

/** The status a run ends with, or `release`: handed back to the queue without counting an attempt. */
export type Ending = { status: TerminalStatus | 'release'; error?: RunError };

/** Why and how the agent was stopped, as far as the ending needs to know. */
export interface StopState {
  reason: StopReason | undefined;
  cancelReason: string;
  budgetMessage: string;
}

/** What the agent did, for the summary. */
export interface AgentRun {
  exit: AgentExit;
  durationMs: number;
  result: AgentResult;
}

/** What the terminal write needs from the execution; read when the run ends. */
export interface EndingContext {
  runs: RunStore;
  target: ArtifactTarget;
  run: RunRecord;
  leaseToken: string;
  log: Logger;
  /** Values redacted from everything written. */
  secrets: readonly string[];
  grant: RunGrant | undefined;
  isLost(): boolean;
}

const TAIL_LINES_IN_ERROR = 15;

/** The ending for a run stopped before its agent started. */
export function stoppedBeforeStart(stop: StopState): Ending {
  if (stop.reason === 'cancel') return { status: 'cancelled', error: { code: 'cancelled', message: stop.cancelReason } };
  return { status: 'release' };
}

/** The ending for an agent that exited: a stop's reason first, then its exit and its own output. */
export function decide(o: {
  stop: StopState;
  timeoutSeconds: number;
  agent: AgentName;
  exit: AgentExit;
  tail: string;
  result: AgentResult;
  secrets: readonly string[];
}): Ending {
  const { stop, exit, result } = o;
  switch (stop.reason) {
    case 'cancel':
      return { status: 'cancelled', error: { code: 'cancelled', message: stop.cancelReason } };
    case 'timeout':
      return { status: 'timed_out', error: { code: 'timeout', message: `the agent ran longer than ${o.timeoutSeconds} s and was stopped` } };
    case 'drain':
      return { status: 'release' };
    case 'budget':
      return { status: 'failed', error: { code: 'budget_exceeded', message: `${stop.budgetMessage}; no more model calls were allowed` } };
    case 'lost':
    case 'failure':
    case undefined:
      break;
    default:
      return assertNever(stop.reason);
  }
  if (exit.spawnError) {
    const code = (exit.spawnError as NodeJS.ErrnoException).code ?? 'error';
    return {
      status: 'failed',
      error: { code: 'agent_unavailable', message: `agent ${o.agent} could not be started (${code}); it is not installed on this worker` },
    };
  }
  // A run succeeds only when the agent exits 0 and its own output does not say it failed.
  if (exit.code === 0 && !result.failure) return { status: 'succeeded' };
  const lines = o.tail.split('\n').filter(Boolean).slice(-TAIL_LINES_IN_ERROR).join('\n');
  const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? 'unknown'}`;
  const code = result.failure?.code ?? 'agent_failed';
  const said = result.failure ? `${result.failure.message}; ` : '';
  const stopped = stop.reason === 'failure' ? 'was stopped' : `exited with ${how}`;
  // The agent's own words come first and stay whole; the last lines fill what room is left.
  const head = redact(`${said}agent ${stopped}`, o.secrets).slice(0, 1500);
  const tail = redact(lines, o.secrets);
  return { status: 'failed', error: { code, message: `${head}; last lines:\n${tail.slice(-(3900 - head.length))}` } };
}

/** The log line for the agent's end. */
export function describeExit(exit: AgentExit, durationMs: number): string {
  if (exit.spawnError) return `agent could not be started: ${(exit.spawnError as NodeJS.ErrnoException).code ?? exit.spawnError.message}`;
  const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? 'unknown'}`;
  return `agent ended with ${how} after ${(durationMs / 1000).toFixed(1)} s`;
}

/** What the run spent through the gateway, for the run record (nothing before the first call). */
export function spendOf(grant: RunGrant | undefined): { spend?: RunSpendView } {
  return grant && grant.spent().calls > 0 ? { spend: grant.spendView() } : {};
}

/** Uploads what exists and writes the run's end (or hands it back to the queue). */
export async function end(
  ctx: EndingContext,
  ws: Workspace,
  sink: LogSink,
  base: string | undefined,
  ending: Ending,
  agent?: AgentRun,
): Promise<RunOutcome> {
  const { run, log, target: t } = ctx;
  let changes: CollectedChanges | undefined;
  if (base) {
    try {
      changes = await withSpan('collect changes', {}, () => ws.collect(base, ctx.secrets));
      if (changes.secretInChanges) sink.append('sys', ['the changes contain a secret: it is redacted in patch.diff and no changes.bundle is shared']);
    } catch (err) {
      log.warn({ err }, 'collecting changes failed');
      sink.append('sys', [redact(`collecting changes failed: ${err instanceof Error ? err.message : String(err)}`, ctx.secrets)]);
    }
  }
  if (ctx.isLost()) return { kind: 'lost' };
  await sink.close();
  // The final progress write may have found the lease gone.
  if (ctx.isLost()) return { kind: 'lost' };
  const artifacts: ArtifactRef[] = await withSpan('upload artifacts', {}, async () => {
    // log.txt was uploaded while it was written; the file is the fallback when that failed.
    const refs = [(await sink.keepLog()) ?? (await uploadFile(t, 'log.txt', path.join(ws.outDir, 'log.txt'), 'text/plain; charset=utf-8'))];
    if (changes) refs.push(await uploadFile(t, 'patch.diff', changes.patchFile, 'text/x-diff'));
    if (changes?.bundleFile) refs.push(await uploadFile(t, 'changes.bundle', changes.bundleFile, 'application/octet-stream'));
    const session = await archiveSession({ ws, adapter: ADAPTERS[run.agent], sessionId: agent?.result.sessionId, secrets: ctx.secrets, target: t, logger: log });
    if (session) refs.push(session);
    return refs;
  });
  let summary: RunSummary | undefined;
  const spend = spendOf(ctx.grant);
  if (agent) {
    const usage = ctx.grant && ctx.grant.spent().calls > 0 ? gatewayUsage(ctx.grant) : agent.result.usage;
    const finalMessage = agent.result.finalMessage !== undefined ? redact(agent.result.finalMessage, ctx.secrets) : undefined;
    summary = {
      durationMs: agent.durationMs,
      exitCode: agent.exit.code,
      filesChanged: changes?.filesChanged ?? 0,
      insertions: changes?.insertions ?? 0,
      deletions: changes?.deletions ?? 0,
      committed: changes?.committed ?? false,
      ...(finalMessage !== undefined ? { finalMessage } : {}),
      ...(usage ? { usage } : {}),
      ...(agent.result.usage ? { reportedUsage: agent.result.usage } : {}),
      ...(agent.result.sessionId ? { sessionId: agent.result.sessionId } : {}),
    };
    artifacts.push(await uploadJson(t, 'summary.json', { runId: run.runId, attempt: run.attempt, status: ending.status, baseCommit: base, ...summary }));
  }
  if (ending.status === 'release') {
    await ctx.runs.release({ tenantId: run.tenantId, runId: run.runId, tier: run.tier, leaseToken: ctx.leaseToken, countAttempt: false });
    log.info({}, 'run handed back to the queue');
    return { kind: 'released' };
  }
  await writeEnd(ctx, ending.status, {
    ...(agent ? { exitCode: agent.exit.code } : {}),
    ...(ending.error ? { error: ending.error } : {}),
    ...(summary ? { summary } : {}),
    artifacts,
    logTail: sink.tail,
    ...spend,
  });
  log.info({ status: ending.status, ...(ending.error ? { code: ending.error.code } : {}) }, 'run finished');
  return { kind: 'finished', status: ending.status };
}

/**
 * A step threw (a NonRetryableError, an S3/SSM/DynamoDB error past the SDK's retries, a bug):
 * back to the queue with the attempt counted, or failed, as `decideFailure` says.
 */
export async function fail(ctx: EndingContext, err: unknown, sink: LogSink | undefined): Promise<RunOutcome> {
  const { run, log } = ctx;
  const decision = decideFailure(err, run);
  const message = redact(decision.message, ctx.secrets).slice(-3900);
  if (decision.action === 'retry') {
    log.warn({ err, code: decision.code, retryInSeconds: decision.delaySeconds }, 'run failed inside the worker; retrying it');
    sink?.append('sys', [`attempt ${run.attempt} failed: ${message}; retrying in ${decision.delaySeconds} s`]);
    await closeSink(log, sink);
    await ctx.runs.release({ tenantId: run.tenantId, runId: run.runId, tier: run.tier, leaseToken: ctx.leaseToken, countAttempt: true });
    return { kind: 'released', retryInSeconds: decision.delaySeconds };
  }
  log.error({ err, code: decision.code }, 'run failed inside the worker');
  sink?.append('sys', [message]);
  await closeSink(log, sink);
  return await finishEarly(ctx, 'failed', { code: decision.code, message });
}

/** Flushes the log before a failure is written; an S3 that is down must not keep the run from ending. */
async function closeSink(log: Logger, sink: LogSink | undefined): Promise<void> {
  try {
    await sink?.close();
  } catch (err) {
    if (err instanceof LeaseLostError) throw err;
    log.warn({ err }, 'could not flush the log');
  }
}

/** The terminal write, fenced by the lease (the `finish` span of the run's trace). */
function writeEnd(ctx: EndingContext, status: TerminalStatus, fields: Omit<FinishInput, 'tenantId' | 'runId' | 'leaseToken' | 'status'>): Promise<unknown> {
  const { run } = ctx;
  return withSpan('finish', { attributes: { 'outpost.status': status } }, () =>
    ctx.runs.finish({ tenantId: run.tenantId, runId: run.runId, leaseToken: ctx.leaseToken, status, ...fields }),
  );
}

/** Ends a run with an error and no agent result (bad input, missing secret, a worker-side failure). */
async function finishEarly(ctx: EndingContext, status: TerminalStatus, error: RunError): Promise<RunOutcome> {
  await writeEnd(ctx, status, { error: { code: error.code, message: redact(error.message, ctx.secrets) } });
  ctx.log.info({ status, code: error.code }, 'run finished without an agent result');
  return { kind: 'finished', status };
}

function gatewayUsage(grant: RunGrant): Usage {
  const { usage, costUsd } = grant.spent();
  return { ...usage, costUsd };
}
