import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignInRequest, type SignOutResponse } from '@outpost/dashboard-api';
import type { DashboardDeps } from './context.js';
import { checkCsrf, checkOrigin } from './csrf.js';
import { ApiFailureError, sendJson } from './headers.js';
import { readJson } from './json-body.js';
import { sessionInfo } from './session.js';

export const NOT_SIGNED_IN = 'not signed in, or the session ended; sign in with an API key';

/** `/api/session`: POST signs in, GET says who is signed in, DELETE signs out. */
export async function sessionRoute(req: IncomingMessage, res: ServerResponse, deps: DashboardDeps): Promise<void> {
  switch (req.method) {
    case 'POST': {
      checkOrigin(req);
      const { apiKey } = await readJson(req, SignInRequest);
      const started = await deps.sessions.signIn(apiKey.trim());
      // Word for word the same for an unknown, malformed or revoked key.
      if (!started) throw new ApiFailureError('unauthenticated', 'unknown or revoked API key');
      deps.edge.logger.info({ tenantId: started.signedIn.tenant.tenantId }, 'dashboard sign-in');
      return sendJson(res, 200, sessionInfo(started.signedIn), { 'Set-Cookie': deps.sessions.setCookie(started.cookie) });
    }
    case 'GET': {
      const signedIn = await deps.sessions.fromRequest(req);
      if (!signedIn) throw new ApiFailureError('unauthenticated', NOT_SIGNED_IN);
      return sendJson(res, 200, sessionInfo(signedIn));
    }
    case 'DELETE': {
      const signedIn = await deps.sessions.fromRequest(req);
      if (!signedIn) throw new ApiFailureError('unauthenticated', NOT_SIGNED_IN, { 'Set-Cookie': deps.sessions.clearCookie() });
      checkCsrf(req, signedIn.session);
      await deps.sessions.signOut(signedIn.session);
      const body: SignOutResponse = { signedOut: true };
      return sendJson(res, 200, body, { 'Set-Cookie': deps.sessions.clearCookie() });
    }
    default:
      throw new ApiFailureError('invalid_input', `${req.method ?? ''} is not allowed on /api/session`, { Allow: 'GET, POST, DELETE' });
  }
}
