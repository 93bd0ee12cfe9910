import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  assertNever,
  jobContext,
  LeaseRefusedError,
  parseJobMessage,
  RunNotFoundError,
  runAttributes,
  runLogger,
  SpanKind,
  TransitionRefusedError,
  withSpan,
  type JobMessage,
  type Logger,
  type RunRecord,
  type RunStore,
  type TierName,
} from '@outpost/shared';
import type { RunOutcome } from './run-execution.js';

/** What to do with the SQS message: delete it (`settle`) or let it come back later. */
export interface JobOutcome {
  settle: boolean;
  reason: string;
}

export interface JobDeps {
  runs: RunStore;
  tier: TierName;
  workerId: string;
  leaseMs: number;
  sqs: SQSClient;
  queueUrl: string;
  logger: Logger;
  /** Executes a leased run (the worker tracks it for heartbeats and drain). */
  execute: (run: RunRecord, leaseToken: string) => Promise<RunOutcome>;
  /** False while the worker drains: new jobs go straight back to the queue. @default always true */
  accepting?: () => boolean;
  /** Handlers for other job kinds; `run` is built in. A kind without a handler is left on the queue. */
  handlers?: Partial<Record<Exclude<JobMessage['kind'], 'run'>, KindHandler>>;
}

/** Handles one job kind; the extension point for `promote` (services/worker/src/promote/). */
export type KindHandler = (deps: JobDeps, job: JobMessage, message: Message) => Promise<JobOutcome>;

/**
 * The SQS handler, without sqs-consumer: parse, dispatch by kind. A poison body is settled (it can
 * never succeed); infrastructure errors propagate so the message returns after its visibility
 * timeout.
 */
export async function handleJob(deps: JobDeps, message: Message): Promise<JobOutcome> {
  const job = parseJobMessage(message.Body);
  if (!job) {
    deps.logger.warn({ messageId: message.MessageId, body: message.Body?.slice(0, 200) }, 'poison job message deleted');
    return { settle: true, reason: 'invalid_message' };
  }
  // The job continues the trace it was sent in: the dispatch (or promote) call's.
  const span = { kind: SpanKind.CONSUMER, parent: jobContext(message), attributes: { ...runAttributes(job), 'outpost.job_kind': job.kind } };
  return withSpan(`${job.kind} ${deps.tier}`, span, async (s) => {
    const outcome = await handleKind(deps, job, message);
    s.setAttribute('outpost.job_outcome', outcome.reason);
    return outcome;
  });
}

async function handleKind(deps: JobDeps, job: JobMessage, message: Message): Promise<JobOutcome> {
  if (job.kind === 'run') return handleRunJob(deps, job, message);
  const handler = deps.handlers?.[job.kind];
  if (!handler) {
    deps.logger.warn({ kind: job.kind, runId: job.runId }, 'no handler for this job kind on this worker; leaving it on the queue');
    return { settle: false, reason: 'no_handler' };
  }
  return handler(deps, job, message);
}

/** `kind: run`: lease first, then execute; settle only after the run's terminal write. */
export async function handleRunJob(deps: JobDeps, job: JobMessage, message: Message): Promise<JobOutcome> {
  const log = runLogger(deps.logger, job);
  if (deps.accepting && !deps.accepting()) {
    await visibleAgain(deps, message, log);
    return { settle: false, reason: 'draining' };
  }
  let leased: { run: RunRecord; leaseToken: string };
  try {
    leased = await withSpan('lease', {}, () =>
      deps.runs.acquireLease({ tenantId: job.tenantId, runId: job.runId, tier: deps.tier, workerId: deps.workerId, leaseMs: deps.leaseMs }),
    );
  } catch (err) {
    if (err instanceof RunNotFoundError) {
      log.warn({}, 'job for a run that does not exist; deleted');
      return { settle: true, reason: 'not_found' };
    }
    if (err instanceof LeaseRefusedError) return refused(deps, err, log);
    throw err;
  }
  log.info({ attempt: leased.run.attempt, agent: leased.run.agent }, 'run leased');
  const outcome = await deps.execute(leased.run, leased.leaseToken);
  switch (outcome.kind) {
    case 'finished':
      return { settle: true, reason: outcome.status };
    case 'lost':
      return { settle: false, reason: 'lease_lost' };
    case 'released':
      await visibleAgain(deps, message, log, outcome.retryInSeconds ?? 0);
      return { settle: false, reason: outcome.retryInSeconds !== undefined ? 'retry' : 'released' };
    default:
      return assertNever(outcome);
  }
}

/**
 * Makes the message visible at once (or after a retry's backoff), so another worker picks the run
 * up without waiting out the visibility timeout.
 */
async function visibleAgain(deps: JobDeps, message: Message, log: Logger, afterSeconds = 0): Promise<void> {
  if (!message.ReceiptHandle) return;
  await deps.sqs
    .send(new ChangeMessageVisibilityCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: afterSeconds }))
    .catch((err: unknown) => log.warn({ err }, 'could not make the job visible again; it returns after its visibility timeout'));
}

async function refused(deps: JobDeps, err: LeaseRefusedError, log: Logger): Promise<JobOutcome> {
  const run = err.current;
  switch (err.reason) {
    case 'terminal':
    case 'wrong_tier':
      log.info({ reason: err.reason, status: run.status }, 'job settled without running');
      return { settle: true, reason: err.reason };
    case 'cancel_requested':
      // A cancel request on a run that went back to the queue: nobody will ever run it, so end it.
      if (run.status === 'queued') {
        await deps.runs.cancelQueued({ tenantId: run.tenantId, runId: run.runId, reason: run.cancelReason ?? 'cancelled by request' }).catch((e: unknown) => {
          if (!(e instanceof TransitionRefusedError)) throw e;
        });
      }
      log.info({ status: run.status }, 'job for a cancelled run settled');
      return { settle: true, reason: err.reason };
    case 'attempts_exhausted':
      // Its last worker died holding the lease and no attempt is left: fail it here (the lease is expired).
      if (run.status === 'running' && run.leaseToken) {
        await deps.runs
          .expireLease({
            tenantId: run.tenantId,
            runId: run.runId,
            tier: run.tier,
            observedLeaseToken: run.leaseToken,
          })
          .catch((e: unknown) => {
            if (!(e instanceof TransitionRefusedError)) throw e;
          });
      }
      log.warn({ attempt: run.attempt }, 'run has no attempts left; failed and settled');
      return { settle: true, reason: err.reason };
    case 'leased':
      // A live worker holds it: this is a duplicate delivery. Never run it; let the message come
      // back later in case that worker dies.
      log.info({ workerId: run.workerId }, 'run leased by a live worker; not running it');
      return { settle: false, reason: 'leased' };
    default:
      return assertNever(err.reason);
  }
}
