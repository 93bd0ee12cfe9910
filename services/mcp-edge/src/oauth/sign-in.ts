import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { newToken, sha256Hex, type Logger, type TenantStore } from '@outpost/shared';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../dashboard/headers.js';
import type { OAuthStore, PendingRecord } from './oauth-store.js';
import type { Scope } from './scopes.js';

export const SIGN_IN_PATH = '/oauth/sign-in';

const SCOPE_TEXT: Record<Scope, string> = {
  'runs:read': 'see your runs, their logs and the fleet',
  'runs:write': 'dispatch, cancel and retry runs',
  promote: 'push a run’s changes to a branch and open pull requests',
};

const SignInForm = z.object({ request: z.string().min(1).max(200), api_key: z.string().max(500) });

export interface SignInPageOptions {
  store: OAuthStore;
  tenants: Pick<TenantStore, 'resolveApiKey' | 'getTenant'>;
  /** Mints the code once the key checked out (the provider's issueCode). */
  issueCode(input: { clientId: string; tenantId: string; keyHash: string; scopes: Scope[]; codeChallenge: string; redirectUri: string; resource: string }): Promise<string>;
  logger: Logger;
  /** Secure cookies (aws mode: https only). */
  secureCookie: boolean;
}

/**
 * The sign-in page of the authorize endpoint: it asks once for the tenant's API key, posted to
 * SIGN_IN_PATH. The form carries the pending request's id, and a cookie set with the page must
 * come back with it, so a form posted from anywhere but the browser that opened the page fails.
 */
export class SignInPage {
  constructor(private readonly opts: SignInPageOptions) {}

  /** Stores the pending sign-in and answers the page. */
  async start(res: Response, input: { client: OAuthClientInformationFull; pending: Omit<PendingRecord, 'csrfHash'>; ttlSeconds: number }): Promise<void> {
    const requestId = newToken(32);
    const csrf = newToken(32);
    await this.opts.store.putPending(requestId, { ...input.pending, csrfHash: sha256Hex(csrf) });
    res.setHeader('Set-Cookie', this.cookie(requestId, csrf, input.ttlSeconds));
    this.render(res, 200, { requestId, pending: input.pending, clientName: input.client.client_name });
  }

  /** POST SIGN_IN_PATH: checks the form, the cookie and the key, then redirects with a code. */
  router(): Router {
    const router = express.Router();
    // Guessing keys through the form is throttled per address, like the SDK's own endpoints.
    router.use(rateLimit({ windowMs: 15 * 60_000, limit: 30, standardHeaders: true, legacyHeaders: false }));
    router.use(express.urlencoded({ extended: false, limit: '8kb' }));
    router.post('/', (req, res, next) => void this.submit(req, res).catch(next));
    return router;
  }

  private async submit(req: Request, res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    const form = SignInForm.safeParse(req.body);
    if (!form.success) return this.fail(res, 400, 'The sign-in form was incomplete. Start again from your MCP client.');
    const { request, api_key: apiKey } = form.data;
    const pending = await this.opts.store.getPending(request);
    const csrf = readCookie(req.headers.cookie, cookieName(request));
    if (!pending || !csrf || sha256Hex(csrf) !== pending.csrfHash) {
      return this.fail(res, 400, 'This sign-in expired or was not started in this browser. Start again from your MCP client.');
    }
    const key = await this.opts.tenants.resolveApiKey(apiKey.trim());
    const tenant = key ? await this.opts.tenants.getTenant(key.tenantId) : undefined;
    if (!key || !tenant) {
      // Word for word the same for an unknown, malformed or revoked key; the page stays usable.
      return this.render(res, 401, { requestId: request, pending, error: 'Unknown or revoked API key.' });
    }
    if (!(await this.opts.store.takePending(request))) return this.fail(res, 400, 'This sign-in was already used. Start again from your MCP client.');
    const code = await this.opts.issueCode({
      clientId: pending.clientId,
      tenantId: tenant.tenantId,
      keyHash: key.record.keyHash,
      scopes: pending.scopes,
      codeChallenge: pending.codeChallenge,
      redirectUri: pending.redirectUri,
      resource: pending.resource,
    });
    this.opts.logger.info({ tenantId: tenant.tenantId, clientId: pending.clientId, scopes: pending.scopes }, 'oauth sign-in');
    const target = new URL(pending.redirectUri);
    target.searchParams.set('code', code);
    if (pending.state !== undefined) target.searchParams.set('state', pending.state);
    res.setHeader('Set-Cookie', this.cookie(request, '', 0));
    res.redirect(302, target.href);
  }

  private render(res: Response, status: number, view: { requestId: string; pending: Omit<PendingRecord, 'csrfHash'>; clientName?: string | undefined; error?: string }): void {
    const { pending } = view;
    const redirect = new URL(pending.redirectUri);
    // form-action must let the post's redirect reach the client, or Chromium blocks it.
    const target = redirect.protocol === 'http:' || redirect.protocol === 'https:' ? redirect.origin : redirect.protocol;
    const csp = CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${target}`);
    const scopes = pending.scopes.map((s) => `<li><code>${s}</code>: ${escapeHtml(SCOPE_TEXT[s])}</li>`).join('');
    const who = escapeHtml(view.clientName ?? pending.clientId);
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Outpost</title></head>
<body><main>
<h1>Sign in to Outpost</h1>
<p><strong>${who}</strong> asks to act for your tenant. After you sign in, your browser returns to <code>${escapeHtml(redirect.origin + redirect.pathname)}</code>.</p>
<p>It will be able to:</p><ul>${scopes}</ul>
${view.error ? `<p role="alert" id="error">${escapeHtml(view.error)}</p>` : ''}
<form method="post" action="${SIGN_IN_PATH}" autocomplete="off">
<input type="hidden" name="request" value="${escapeHtml(view.requestId)}">
<label for="api_key">Your Outpost API key</label>
<input id="api_key" name="api_key" type="password" required autocomplete="off" spellcheck="false">
<button type="submit">Sign in</button>
</form>
<p>Your key is checked once and never sent to the client: it gets a token limited to the scopes above, for one hour at a time.</p>
</main></body></html>`;
    res.status(status).set({ ...SECURITY_HEADERS, 'Content-Security-Policy': csp, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(html);
  }

  private fail(res: Response, status: number, message: string): void {
    res.status(status).set({ ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head><body><main><h1>Sign-in failed</h1><p role="alert" id="error">${escapeHtml(message)}</p></main></body></html>`);
  }

  private cookie(requestId: string, value: string, maxAge: number): string {
    return `${cookieName(requestId)}=${value}; Path=${SIGN_IN_PATH}; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAge)}${this.opts.secureCookie ? '; Secure' : ''}`;
  }
}

/** One cookie per pending sign-in, so two sign-ins in one browser do not overwrite each other. */
const cookieName = (requestId: string) => `op_oauth_${sha256Hex(requestId).slice(0, 16)}`;

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=') || undefined;
  }
  return undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
