import type { z } from 'zod';
import { ErrorCode, OutpostError } from '@outpost/shared/errors';

/** An API answer that was not 2xx: the status and the server's `{ error: { code, message } }`. */
export class ApiError extends OutpostError {
  override readonly name = 'ApiError';
  /** The server's code; for an answer without one (a proxy's page), the status's. */
  readonly code: ErrorCode;
  constructor(
    readonly status: number,
    code: unknown,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    const parsed = ErrorCode.safeParse(code);
    this.code = parsed.success ? parsed.data : codeOfStatus(status);
  }
}

function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  return status >= 400 && status < 500 ? 'invalid_input' : 'internal';
}

/** The CSRF token lives in memory only (never in storage); the session provider sets it. */
let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const err = body.error;
    if (typeof err === 'string') return new ApiError(res.status, undefined, err);
    if (err && typeof err === 'object') {
      const e = err as { code?: unknown; message?: unknown };
      return new ApiError(res.status, e.code, String(e.message ?? e.code ?? res.statusText));
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return new ApiError(res.status, undefined, text || res.statusText);
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** Fetches JSON and parses it with the contract's schema (one parser per input). */
export async function requestJson<S extends z.ZodType>(path: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
  const res = await send(path, options);
  return schema.parse(await res.json());
}

/** Fetches text (the patch); a missing one is an ApiError with status 404. */
export async function requestText(path: string, signal?: AbortSignal): Promise<string> {
  const res = await send(path, { signal });
  return res.text();
}

async function send(path: string, { method = 'GET', body, signal }: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  return res;
}
