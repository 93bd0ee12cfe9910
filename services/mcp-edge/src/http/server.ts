import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAwsClients,
  openParameterStore,
  openStores,
  silentLogger,
  systemClock,
  type AwsClients,
  type BaseConfig,
  type Clock,
  type Logger,
  type ParameterStore,
} from '@outpost/shared';
import { Authenticator } from '../auth.js';
import { callLogger } from '../call-context.js';
import type { ExternalIssuerConfig } from '../config.js';
import { Dashboard, type DashboardOptions } from '../dashboard/router.js';
import type { EdgeDeps } from '../deps.js';
import { InFlightCalls } from '../in-flight-calls.js';
import { OAuthStore } from '../oauth/oauth-store.js';
import type { OAuthLifetimes } from '../oauth/provider.js';
import { OAuthServer } from '../oauth/router.js';
import { ICON_PATH, ICON_SVG } from '../server-info.js';
import { StoredSecretNames } from '../stored-secret-names.js';
import { TOOLS, type ToolRegistrar } from '../tools/index.js';
import { sendJson, sendJsonRpcError } from './answers.js';
import { mcpRoute } from './mcp-route.js';
import { answerReadiness } from './readiness.js';

export interface EdgeOptions {
  config: BaseConfig & {
    port: number;
    host: string;
    authCacheMs?: number;
    dashboardDir?: string;
    sessionTtlSeconds?: number;
    /** The OAuth issuer and resource origin. @default the listen address, in local mode only */
    publicUrl?: string;
    /** The built-in authorization server. @default true */
    oauth?: boolean;
    /** Trust this OpenID provider instead of the built-in server. */
    externalIssuer?: ExternalIssuerConfig;
  };
  /** @default clients built from config (and destroyed on close) */
  clients?: AwsClients;
  /** @default silentLogger */
  logger?: Logger;
  /** @default systemClock */
  clock?: Clock;
  /** Tools to serve. @default TOOLS */
  tools?: readonly ToolRegistrar[];
  /** Where the tenants' secrets live; the edge reads names only. @default the mode's (SSM, or OUTPOST_HOME/secrets.json) */
  params?: ParameterStore;
  /** Dashboard settings beyond config (tests shorten polls and caches). */
  dashboard?: Partial<DashboardOptions>;
  /** OAuth token and code lifetimes (tests shorten them). */
  oauthLifetimes?: Partial<OAuthLifetimes>;
}

export interface Edge {
  server: Server;
  port: number;
  /** `http://host:port` */
  url: string;
  deps: EdgeDeps;
  authenticator: Authenticator;
  /** The MCP requests being answered (a `notifications/cancelled` POST stops the one it names). */
  calls: InFlightCalls;
  /** The built-in authorization server, when OAuth is on. */
  oauth: OAuthServer | undefined;
  /** Stops accepting, lets in-flight calls finish (up to graceMs), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The edge's HTTP server, wired: `/mcp` (mcp-route.ts), `/healthz`, `/readyz` (readiness.ts), the
 * icon, OAuth and the dashboard; a graceful close that lets in-flight calls finish.
 */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const { config } = options;
  const ownClients = !options.clients;
  const clients = options.clients ?? createAwsClients(config);
  const logger = callLogger(options.logger ?? silentLogger);
  const clock = options.clock ?? systemClock;
  const stores = openStores(config, clients, clock);
  const shutdown = new AbortController();
  const deps: EdgeDeps = {
    config,
    clients,
    stores,
    secretNames: new StoredSecretNames({ params: options.params ?? openParameterStore(config, 'secrets'), env: config.env, clock }),
    logger,
    clock,
    shutdown: shutdown.signal,
  };
  const authenticator = new Authenticator({ tenants: stores.tenants, ttlMs: config.authCacheMs ?? 15_000, clock });
  const tools = options.tools ?? TOOLS;
  const dashboard = new Dashboard(deps, {
    secureCookie: config.mode === 'aws',
    keyCheckMs: config.authCacheMs ?? 15_000,
    ...(config.dashboardDir ? { dir: config.dashboardDir } : {}),
    ...(config.sessionTtlSeconds ? { sessionTtlSeconds: config.sessionTtlSeconds } : {}),
    ...options.dashboard,
  });
  const calls = new InFlightCalls();
  let oauth: OAuthServer | undefined; // built once the listen address is known
  let inflight = 0;
  let drained: (() => void) | undefined;

  const handleMcp = mcpRoute({ config, deps, authenticator, calls, tools, resourceMetadataUrl: () => oauth?.resourceMetadataUrl });
  const readiness = { clients, stores, logger, stopping: () => shutdown.signal.aborted };

  const server = createServer((req, res) => {
    inflight++;
    const started = Date.now();
    res.on('close', () => {
      inflight--;
      logger.debug({ method: req.method, path: req.url, status: res.statusCode, ms: Date.now() - started }, 'request');
      if (inflight === 0) drained?.();
    });
    const path = (req.url ?? '/').split('?')[0];
    const route = async () => {
      switch (path) {
        case '/mcp':
          return handleMcp(req, res);
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          return answerReadiness(readiness, res);
        case ICON_PATH:
          // An SVG can carry script: served inert, never as a page.
          res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'", 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'public, max-age=86400' });
          return void res.end(ICON_SVG);
        default:
          if (path !== undefined && oauth?.owns(path)) return oauth.handle(req, res);
          if (path !== undefined && dashboard.owns(path)) return dashboard.handle(req, res);
          return sendJson(res, 404, { error: 'not found' });
      }
    };
    route().catch((err: unknown) => {
      logger.error({ err, path }, 'request failed');
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal server error');
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const publicUrl = config.publicUrl ?? (config.mode === 'local' ? `http://${host}:${port}` : undefined);
  if (config.oauth !== false && publicUrl) {
    oauth = new OAuthServer({
      store: new OAuthStore({ tableName: stores.names.tables.oauth, doc: clients.doc, clock }),
      tenants: stores.tenants,
      publicUrl: new URL(publicUrl),
      logger,
      clock,
      secureCookie: config.mode === 'aws',
      behindProxy: config.mode === 'aws',
      ...(options.oauthLifetimes ? { lifetimes: options.oauthLifetimes } : {}),
      ...(config.externalIssuer ? { external: config.externalIssuer } : {}),
    });
    authenticator.useTokens(oauth.verifier);
  }
  logger.info({ port, host: config.host, oauth: oauth ? publicUrl : 'off' }, 'mcp-edge listening');

  let closing: Promise<void> | undefined;
  const close = (graceMs = 30_000) => {
    closing ??= (async () => {
      shutdown.abort(); // long waits (and dashboard streams) return now with what they have
      dashboard.stop();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inflight > 0) {
        await Promise.race([new Promise<void>((resolve) => (drained = resolve)), new Promise((r) => setTimeout(r, graceMs).unref())]);
      }
      server.closeAllConnections();
      await stopped;
      if (ownClients) clients.destroy();
      logger.info({}, 'mcp-edge stopped');
    })();
    return closing;
  };
  return { server, port, url: `http://${host}:${port}`, deps, authenticator, calls, oauth, close };
}
