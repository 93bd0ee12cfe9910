import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { EdgeDeps } from '../deps.js';
import { toolDeps, type ApiRequest, type DashboardDeps } from './context.js';
import { checkCsrf } from './csrf.js';
import { FleetHistory } from './fleet-history.js';
import { ApiFailureError, applySecurityHeaders, failureOf, sendError } from './headers.js';
import { cancel, dispatchRuns, promoteRun } from './routes-actions.js';
import { getFleet } from './routes-fleet.js';
import { downloadLog, getArtifact, getPatch, getRun, listRuns } from './routes-runs.js';
import { NOT_SIGNED_IN, sessionRoute } from './routes-session.js';
import { streamLog, streamRunEvents } from './routes-stream.js';
import { DashboardSessions } from './session.js';
import { resolveDashboardDir, StaticFiles } from './static.js';

export interface DashboardOptions {
  /** The built web app. @default resolved from @outpost/dashboard-web */
  dir?: string;
  /** @default 43_200 (12 h) */
  sessionTtlSeconds?: number;
  /** Set `Secure` on the session cookie. */
  secureCookie: boolean;
  /** How long a session trusts that its API key is live. @default 15_000 */
  keyCheckMs?: number;
  /** @default 500 */
  pollMs?: number;
  /** @default 15_000 */
  heartbeatMs?: number;
}

/** The web app's page routes: each answers index.html (the app routes in the browser). */
const PAGE = /^\/(?:sign-in|runs|runs\/[^/]+|fleet|dispatch)?\/?$/;

/** The dashboard: `/api/*` and the built app's pages and assets, on the edge's own server. */
export class Dashboard {
  private readonly deps: DashboardDeps;

  constructor(edge: EdgeDeps, options: DashboardOptions) {
    this.deps = {
      edge,
      sessions: new DashboardSessions({
        sessions: edge.stores.sessions,
        tenants: edge.stores.tenants,
        clock: edge.clock,
        ttlSeconds: options.sessionTtlSeconds ?? 43_200,
        secureCookie: options.secureCookie,
        keyCheckMs: options.keyCheckMs ?? 15_000,
      }),
      files: new StaticFiles(resolveDashboardDir(options.dir)),
      history: new FleetHistory({ sqs: edge.clients.sqs, queues: edge.stores.queues, clock: edge.clock, logger: edge.logger }),
      pollMs: options.pollMs ?? 500,
      heartbeatMs: options.heartbeatMs ?? 15_000,
    };
  }

  /** True for the paths the dashboard answers: `/api/…`, `/assets/…` and the page routes. */
  owns(path: string): boolean {
    return path === '/api' || path.startsWith('/api/') || path.startsWith('/assets/') || PAGE.test(path);
  }

  /** Answers one request the dashboard owns; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    applySecurityHeaders(res);
    // The raw path decides, never the URL parser's: it resolves `..` and `%2e%2e`.
    const raw = (req.url ?? '/').split('?')[0] ?? '/';
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    try {
      if (raw === '/api' || raw.startsWith('/api/')) return await this.api(req, res, url);
      return await this.page(req, res, raw);
    } catch (err) {
      const failure = failureOf(err);
      if (failure) {
        if (!res.headersSent) sendError(res, failure);
        else res.end();
        return;
      }
      const ref = randomUUID();
      this.deps.edge.logger.error({ err, path: url.pathname, ref }, 'dashboard request failed');
      if (!res.headersSent) sendError(res, new ApiFailureError('internal', `internal error (ref ${ref}); try again shortly`));
      else res.end();
    }
  }

  stop(): void {
    this.deps.history.stop();
  }

  private async page(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) throw new ApiFailureError('invalid_input', 'pages answer GET only', { Allow: 'GET, HEAD' });
    if (path.startsWith('/assets/')) {
      if (await this.deps.files.sendAsset(res, path.slice('/assets/'.length), head)) return;
      throw new ApiFailureError('not_found', 'no such file');
    }
    if (!PAGE.test(path)) throw new ApiFailureError('not_found', 'no such page');
    return this.deps.files.sendIndex(res, head);
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/api/session') return sessionRoute(req, res, this.deps);
    const signedIn = await this.deps.sessions.fromRequest(req);
    if (!signedIn) throw new ApiFailureError('unauthenticated', NOT_SIGNED_IN);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') checkCsrf(req, signedIn.session);
    const request: ApiRequest = { req, res, url, signedIn, tool: toolDeps(this.deps.edge, signedIn) };
    const parts = path.split('/').slice(3); // ['', 'api', 'runs', …] → after 'runs'
    const route = `${method} ${path.split('/')[2] ?? ''}${parts.length ? `/${parts.map((p, i) => (i === 0 ? ':id' : p)).join('/')}` : ''}`;
    const id = parts[0] ?? '';
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    switch (route) {
      case 'GET runs':
        return listRuns(request);
      case 'GET runs/:id':
        return id === 'events' ? streamRunEvents(request, this.deps) : getRun(request, id);
      case 'GET runs/:id/log':
        return downloadLog(request, id);
      case 'GET runs/:id/log/stream':
        return streamLog(request, id, this.deps);
      case 'GET runs/:id/patch':
        return getPatch(request, id);
      case 'POST runs/:id/cancel':
        return cancel(request, id);
      case 'POST runs/:id/promote':
        return promoteRun(request, id, aborted.signal);
      case 'POST dispatch':
        return dispatchRuns(request);
      case 'GET fleet':
        return getFleet(request, this.deps);
      default:
        if (method === 'GET' && parts.length === 3 && parts[1] === 'artifacts' && path.split('/')[2] === 'runs') {
          return getArtifact(request, id, safeDecode(parts[2] ?? ''));
        }
        throw new ApiFailureError('not_found', `no route ${method} ${path}`);
    }
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
