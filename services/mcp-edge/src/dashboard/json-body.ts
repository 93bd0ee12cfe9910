import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { BodyTooLargeError } from '@outpost/shared';
import { readBody } from '../http/body.js';
import { ApiFailureError } from './headers.js';

/** Largest dashboard request body (a 50,000-character task is at most ~200 KB of UTF-8). */
const MAX_BODY_BYTES = 512 * 1024;
const MAX_DRAIN_BYTES = 4 * 1024 * 1024;

/** zod issues as one message: `path: problem; …`. */
export function issuesMessage(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * The JSON body, parsed by `schema`. JSON only: a cross-site form can send
 * `application/x-www-form-urlencoded` or `text/plain` without a preflight, never `application/json`.
 */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiFailureError('invalid_input', 'send the body as application/json');
  let raw: unknown;
  try {
    const text = await readBody(req, MAX_BODY_BYTES, MAX_DRAIN_BYTES);
    raw = text.length === 0 ? {} : JSON.parse(text);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new ApiFailureError('invalid_input', `request body is over ${MAX_BODY_BYTES} bytes`, {}, { cause: err });
    throw new ApiFailureError('invalid_input', 'request body is not valid JSON', {}, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ApiFailureError('invalid_input', issuesMessage(parsed.error));
  return parsed.data;
}
