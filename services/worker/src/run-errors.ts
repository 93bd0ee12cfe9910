import { LeaseLostError, OutpostError, type RunErrorCode } from '@outpost/shared';

/**
 * A failure no later attempt can mend (bad input, an object that is gone, a secret the tenant has
 * not stored): the run fails at once with `code`, attempts left or not. bullmq's
 * `UnrecoverableError`; every other error is retried while attempts remain.
 */
export class NonRetryableError extends OutpostError {
  override readonly name = 'NonRetryableError';
  constructor(
    readonly code: RunErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A step of a run (loading secrets, reading the task, …) failed; `cause` is what failed it. */
export class RunStepError extends OutpostError {
  override readonly name = 'RunStepError';
  readonly code = 'internal';
  constructor(
    /** What the worker was doing, e.g. "reading the task from S3". */
    readonly step: string,
    options: { cause: unknown },
  ) {
    super(`${step} failed: ${describe(options.cause)}`, options);
  }
}

/** What to do with a run whose execution threw. */
export type FailureDecision =
  /** Hand it back to the queue, the attempt counted; the job is visible again after `delaySeconds`. */
  | { action: 'retry'; code: RunErrorCode; message: string; delaySeconds: number }
  /** End it `failed` with this error. */
  | { action: 'fail'; code: RunErrorCode; message: string };

/**
 * The one place that decides between retry and fail: a NonRetryableError fails the run with its
 * code; anything else is retried while attempts remain (`attempt` counts the one that failed),
 * and fails the last attempt with `dependency_unavailable` when S3, SSM, DynamoDB or the network
 * failed it (the AWS SDK has already retried by then), else `internal`.
 */
export function decideFailure(err: unknown, run: { attempt: number; maxAttempts: number }): FailureDecision {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof NonRetryableError) return { action: 'fail', code: err.code, message };
  const code: RunErrorCode = isDependencyFailure(err) ? 'dependency_unavailable' : 'internal';
  if (run.attempt >= run.maxAttempts) return { action: 'fail', code, message: `${message} (attempt ${run.attempt} of ${run.maxAttempts}; none left)` };
  return { action: 'retry', code, message, delaySeconds: retryDelaySeconds(run.attempt) };
}

/** Backoff before the next attempt: 2 s, 4 s, 8 s, … at most a minute (a dependency having a bad minute). */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(2 ** Math.max(1, attempt), 60);
}

/** Runs one step; a failure carries the step's name. Lease losses and non-retryable errors pass as they are. */
export async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LeaseLostError || err instanceof NonRetryableError || err instanceof RunStepError) throw err;
    throw new RunStepError(what, { cause: err });
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An AWS service error (any client: it carries `$metadata`), an SDK timeout, or a network error, anywhere in the cause chain. */
export function isDependencyFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if ('$metadata' in e) return true;
    if (e.name === 'TimeoutError') return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (code && NETWORK_CODES.has(code)) return true;
  }
  return false;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // SDK errors often carry a bare message ("UnknownError"); the name says which.
  return err.message && !err.message.includes(err.name) ? `${err.name}: ${err.message}` : err.message || err.name;
}
