import type { ServerResponse } from 'node:http';
import { ApiErrorCode, ERROR_STATUS } from '@outpost/dashboard-api';
import { isCallerError, OutpostError } from '@outpost/shared';

/** The contract's CSP: nothing inline, nothing from anywhere but the edge. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** On every dashboard response, pages and API alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Sets the security headers; call before anything is written. */
export function applySecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/** A JSON answer; API answers are never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** An error a route throws; the router answers `{ error: { code, message } }` with its status. */
export class ApiFailureError extends OutpostError {
  override readonly name = 'ApiFailureError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string | string[]> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The answer for what a route threw: an ApiFailureError as it is, an error the caller can act on
 * (bad input, a refusal, a limit, not found) under its own code and message; else undefined.
 */
export function failureOf(err: unknown): ApiFailureError | undefined {
  if (err instanceof ApiFailureError) return err;
  if (!isCallerError(err)) return undefined;
  const code = ApiErrorCode.safeParse(err.code);
  return new ApiFailureError(code.success ? code.data : 'invalid_input', err.message, {}, { cause: err });
}

export function sendError(res: ServerResponse, failure: ApiFailureError): void {
  sendJson(res, ERROR_STATUS[failure.code], { error: { code: failure.code, message: failure.message } }, failure.headers);
}

/** Word for word the same for a missing run and another tenant's run. */
export function runNotFound(runId: string): ApiFailureError {
  return new ApiFailureError('not_found', `run ${runId} not found`);
}
