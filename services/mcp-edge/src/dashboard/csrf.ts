import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SessionRecord } from '@outpost/shared';
import { ApiFailureError } from './headers.js';

/**
 * A browser's Origin must name this edge when present: `Host` is what the browser connected to, so
 * a page elsewhere (or a DNS-rebound name) never matches. Absent Origin: not a browser, allowed.
 */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (!host || host !== req.headers.host) throw new ApiFailureError('csrf', 'cross-origin request refused');
}

/** A state-changing request: same-origin when it says, and the session's token in X-CSRF-Token. */
export function checkCsrf(req: IncomingMessage, session: SessionRecord): void {
  checkOrigin(req);
  const sent = req.headers['x-csrf-token'];
  const token = Buffer.from(typeof sent === 'string' ? sent : '');
  const expected = Buffer.from(session.csrfToken);
  if (token.length !== expected.length || !timingSafeEqual(token, expected)) {
    throw new ApiFailureError('csrf', 'missing or wrong X-CSRF-Token; GET /api/session gives the token');
  }
}
