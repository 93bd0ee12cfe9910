import { createHash, randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A run id: `run_` + ULID, so ids sort by creation time (the runs table's sort key relies on it). */
export function newRunId(now: number = Date.now()): string {
  return `run_${nextUlid(now)}`;
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
export { RUN_ID_PATTERN } from './schemas/run.js';
export const TENANT_ID_PATTERN = /^ten_[0-9A-HJKMNP-TV-Z]{26}$/;
