import type { RunRecord, RunStatus } from '../schemas/run.js';

/** No run with that id for that tenant (also what another tenant's run looks like). */
export class RunNotFoundError extends Error {
  override readonly name = 'RunNotFoundError';
  constructor(
    readonly tenantId: string,
    readonly runId: string,
    options?: ErrorOptions,
  ) {
    super(`run ${runId} not found`, options);
  }
}

/** A run with that id exists already. */
export class RunExistsError extends Error {
  override readonly name = 'RunExistsError';
  constructor(
    readonly runId: string,
    options?: ErrorOptions,
  ) {
    super(`run ${runId} exists already`, options);
  }
}

/** The run is not in a state that allows the transition; carries the run as it is now. */
export class TransitionRefusedError extends Error {
  override readonly name = 'TransitionRefusedError';
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
export class LeaseRefusedError extends Error {
  override readonly name = 'LeaseRefusedError';
  constructor(
    readonly reason: LeaseRefusal,
    readonly current: RunRecord,
    options?: ErrorOptions,
  ) {
    super(`run ${current.runId}: lease refused (${reason})`, options);
  }
}

/** The caller's lease token no longer owns the run: it must stop and write nothing more. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly runId: string,
    readonly current: RunRecord | undefined,
    options?: ErrorOptions,
  ) {
    super(`run ${runId}: lease lost (now ${current ? `${current.status}, worker ${current.workerId ?? 'none'}` : 'gone'})`, options);
  }
}

/** A list cursor that is malformed or was issued to another tenant or for another filter. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor(options?: ErrorOptions) {
    super('invalid cursor: pass back the nextCursor of a previous list with the same filters', options);
  }
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
