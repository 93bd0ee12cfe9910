import { z } from 'zod';
import { RunErrorCode, type RunRecord, type RunStatus } from '../schemas/run.js';

/**
 * What kind of failure an error is, for the code that answers it: the HTTP status, the MCP
 * result, the CLI exit code. A run's own failure codes (RunErrorCode) are part of the vocabulary,
 * so a worker error names the code its run records.
 */
export const ErrorKind = z.enum([
  /** The caller's input or command line is wrong; the message says what to change. */
  'invalid_input',
  'unauthenticated',
  'forbidden',
  /** A missing or wrong X-CSRF-Token or Origin (a 403 of its own). */
  'csrf',
  'not_found',
  /** The thing exists already, or is not in a state that allows this. */
  'conflict',
  /** A limit of the tenant's tier; the message says when it resets. */
  'rate_limited',
  /** A request body over its limit. */
  'too_large',
  /** The deployment or machine must change: configuration, a port, a directory, a build. */
  'config',
  /** A program or service outside Outpost failed (git, GitHub, npm). */
  'upstream_failed',
  'internal',
]);
export type ErrorKind = z.infer<typeof ErrorKind>;

/** Every error code: a kind, or the code a run's failure records. */
export const ErrorCode = z.union([ErrorKind, RunErrorCode]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/**
 * The base of every Outpost error (the MCP SDK's McpError, the AWS SDK's ServiceException): a
 * stable machine `code` that callers switch on instead of instanceof chains, `name` set to the
 * class, `ErrorOptions` passed through. Subclasses carry the context a caller needs as fields.
 * Whether a worker retries is decided in one place, the worker's `decideFailure`.
 */
export abstract class OutpostError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}

/** The HTTP status that answers each code; run failure codes are the server's (500). */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  upstream_failed: 502,
};

/** The HTTP status of an error's code. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

/** Codes a caller mends by changing what it sends: shown to it word for word. */
const CALLER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['invalid_input', 'not_found', 'conflict', 'rate_limited', 'too_large']);

/** True for an OutpostError whose message is for the caller (bad input, a refusal, a limit). */
export function isCallerError(err: unknown): err is OutpostError {
  return err instanceof OutpostError && CALLER_CODES.has(err.code);
}

/** A CLI's exit code for an error: 2 when the command line or the configuration must change, else 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof OutpostError && (err.code === 'invalid_input' || err.code === 'config') ? 2 : 1;
}

/** A command line the CLI cannot run; the message says what is wrong (the CLI adds its usage). */
export class UsageError extends OutpostError {
  override readonly name = 'UsageError';
  readonly code = 'invalid_input';
}

/** A request body went over its limit of `limitBytes`. */
export class BodyTooLargeError extends OutpostError {
  override readonly name = 'BodyTooLargeError';
  readonly code = 'too_large';
  constructor(
    readonly limitBytes: number,
    options?: ErrorOptions,
  ) {
    super(`request body over ${limitBytes} bytes`, options);
  }
}

/** No run with that id for that tenant (also what another tenant's run looks like). */
export class RunNotFoundError extends OutpostError {
  override readonly name = 'RunNotFoundError';
  readonly code = 'not_found';
  constructor(
    readonly tenantId: string,
    readonly runId: string,
    options?: ErrorOptions,
  ) {
    super(`run ${runId} not found`, options);
  }
}

/** A run with that id exists already. */
export class RunExistsError extends OutpostError {
  override readonly name = 'RunExistsError';
  readonly code = 'conflict';
  constructor(
    readonly runId: string,
    options?: ErrorOptions,
  ) {
    super(`run ${runId} exists already`, options);
  }
}

/** The run is not in a state that allows the transition; carries the run as it is now. */
export class TransitionRefusedError extends OutpostError {
  override readonly name = 'TransitionRefusedError';
  readonly code = 'conflict';
  constructor(
    readonly transition: string,
    readonly current: RunRecord,
    options?: ErrorOptions,
  ) {
    super(`run ${current.runId}: ${transition} refused (status ${current.status}, attempt ${current.attempt})`, options);
  }
  get status(): RunStatus {
    return this.current.status;
  }
}

/** Why a lease could not be taken. */
export type LeaseRefusal = 'terminal' | 'leased' | 'attempts_exhausted' | 'cancel_requested' | 'wrong_tier';

/** The run could not be leased; `reason` says whether the message should be settled. */
export class LeaseRefusedError extends OutpostError {
  override readonly name = 'LeaseRefusedError';
  readonly code = 'conflict';
  constructor(
    readonly reason: LeaseRefusal,
    readonly current: RunRecord,
    options?: ErrorOptions,
  ) {
    super(`run ${current.runId}: lease refused (${reason})`, options);
  }
}

/** The caller's lease token no longer owns the run: it must stop and write nothing more. */
export class LeaseLostError extends OutpostError {
  override readonly name = 'LeaseLostError';
  readonly code = 'conflict';
  constructor(
    readonly runId: string,
    readonly current: RunRecord | undefined,
    options?: ErrorOptions,
  ) {
    super(`run ${runId}: lease lost (now ${current ? `${current.status}, worker ${current.workerId ?? 'none'}` : 'gone'})`, options);
  }
}

/** A list cursor that is malformed or was issued to another tenant or for another filter. */
export class InvalidCursorError extends OutpostError {
  override readonly name = 'InvalidCursorError';
  readonly code = 'invalid_input';
  constructor(options?: ErrorOptions) {
    super('invalid cursor: pass back the nextCursor of a previous list with the same filters', options);
  }
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
