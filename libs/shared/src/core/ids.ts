import { createHash, randomBytes } from 'node:crypto';
import { decodeTime, monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A run id: `run_` + ULID, so ids sort by creation time (the runs table's sort key relies on it). */
export function newRunId(now: number = Date.now()): string {
  return `run_${nextUlid(now)}`;
}

/** When a run id was made (the ULID's time, to the millisecond). */
export function runIdTime(runId: string): Date {
  return new Date(decodeTime(runId.slice('run_'.length)));
}

/** A tenant id: `ten_` + ULID. */
export function newTenantId(now: number = Date.now()): string {
  return `ten_${nextUlid(now)}`;
}

/** A worker id: `wkr_` + ULID. */
export function newWorkerId(now: number = Date.now()): string {
  return `wkr_${nextUlid(now)}`;
}

/** An unguessable token (lease tokens, API key bodies). */
export function newToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex digest; API keys are stored only in this form. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

// Defined beside the run schema, which the browser imports without node's crypto.
export { RUN_ID_PATTERN } from '../schemas/run.js';
export const TENANT_ID_PATTERN = /^ten_[0-9A-HJKMNP-TV-Z]{26}$/;
