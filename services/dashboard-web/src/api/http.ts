import type { z } from 'zod';

/** An API answer that was not 2xx: the status and the server's `{ error: { code, message } }`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
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
    if (typeof err === 'string') return new ApiError(res.status, String(res.status), err);
    if (err && typeof err === 'object') {
      const e = err as { code?: unknown; message?: unknown };
      return new ApiError(res.status, String(e.code ?? res.status), String(e.message ?? e.code ?? res.statusText));
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return new ApiError(res.status, String(res.status), text || res.statusText);
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
