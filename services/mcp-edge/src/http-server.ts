import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  createAwsClients,
  IdempotencyStore,
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
import { Authenticator } from './auth.js';
import { callLogger, tagCalls } from './call-context.js';
import type { EdgeDeps } from './deps.js';
import { Dashboard, type DashboardOptions } from './dashboard/router.js';
import { InFlightCalls, type CallPrincipal } from './in-flight-calls.js';
import { answersInOne } from './json-answer.js';
import { createMcpServer } from './mcp-server.js';
import { ICON_PATH, ICON_SVG } from './server-info.js';
import { BodyTooLargeError, readBody } from './read-body.js';
import { StoredSecretNames } from './stored-secret-names.js';
import { TOOLS, type ToolRegistrar } from './tools/index.js';
import type { ExternalIssuerConfig } from './config.js';
import { OAuthServer } from './oauth/router.js';
import { OAuthStore } from './oauth/oauth-store.js';
import type { OAuthLifetimes } from './oauth/provider.js';
import { unauthorizedBody, wwwAuthenticate } from './unauthorized.js';

/** Largest request body accepted on /mcp (a 50,000-character task is at most ~200 KB of UTF-8). */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of a body over MAX_BODY_BYTES is read (and dropped) before the 413 is sent. A client
 * still sending when the socket closes gets a reset instead of the answer (its kernel drops what it
 * had received), so the rest is read to the end; past this much the connection is cut.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const READY_TIMEOUT_MS = 2_000;

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
 * The edge's HTTP server: `/mcp` (MCP Streamable HTTP, stateless: a fresh McpServer and
 * transport per request, so any edge instance can answer any call), `/healthz`, `/readyz`.
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
    idempotency: new IdempotencyStore({ tableName: stores.names.tables.idempotency, doc: clients.doc, clock }),
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

  const handleMcp = async (req: IncomingMessage, res: ServerResponse) => {
    if (shutdown.signal.aborted) return sendJson(res, 503, { error: 'shutting down' }, { Connection: 'close' });
    // MCP's transport rules: a browser page must not reach a local server via DNS rebinding.
    if (config.mode === 'local' && !localOrigin(req.headers.origin)) return sendJson(res, 403, { error: 'origin not allowed' });
    const tenant = await authenticator.fromHeader(req.headers.authorization);
    if (!tenant) {
      const challenge = wwwAuthenticate(req.headers.authorization, oauth?.resourceMetadataUrl);
      return sendJson(res, 401, unauthorizedBody(req.headers.authorization, config), { 'WWW-Authenticate': challenge });
    }
    if (req.method !== 'POST') {
      // Stateless: no standalone SSE stream (GET) and no session to delete (DELETE).
      return sendJson(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }, { Allow: 'POST' });
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, MAX_BODY_BYTES, MAX_DRAIN_BYTES));
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        const message = `Request body is larger than ${MAX_BODY_BYTES} bytes; a task is at most 50,000 characters: put longer material in the repository and point the agent at it`;
        return sendJson(res, 413, { jsonrpc: '2.0', error: { code: -32600, message }, id: null });
      }
      return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
    }
    const sessionId = req.headers['mcp-session-id'];
    const principal: CallPrincipal = { tenantId: tenant.tenantId, authorization: req.headers.authorization, sessionId: typeof sessionId === 'string' ? sessionId : undefined };
    const cancelled = calls.cancel(principal, body);
    if (cancelled > 0) logger.info({ tenantId: tenant.tenantId, cancelled }, 'call cancelled by the client');
    const server = createMcpServer({ ...deps, tenant, logger: logger.child({ tenantId: tenant.tenantId }) }, tools, originOf(req));
    const json = answersInOne(body);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
    let closed = false;
    // Closing the server closes its transport too (each close builds an error object: do it once).
    // A cancelled call's response never comes (the SDK drops it), so closing is what ends the POST:
    // an SSE stream ends with the transport; a JSON answer never settles, so it is ended here (202,
    // as for a message that needs no answer).
    const stop = () => {
      if (closed) return;
      closed = true;
      void server.close().finally(() => {
        if (json && !res.headersSent && !res.writableEnded) {
          res.writeHead(202);
          res.end();
        }
      });
    };
    const untrack = calls.track(principal, body, { stop });
    res.on('close', () => {
      untrack();
      stop();
    });
    await server.connect(transport);
    tagCalls(transport);
    await transport.handleRequest(req, res, body);
  };

  const handleReady = async (res: ServerResponse) => {
    const check = async (name: string, probe: () => Promise<unknown>) => {
      try {
        await withTimeout(probe(), READY_TIMEOUT_MS);
        return [name, 'ok'] as const;
      } catch (err) {
        logger.warn({ err, dependency: name }, 'readiness check failed');
        return [name, 'unreachable'] as const;
      }
    };
    const results = Object.fromEntries(
      await Promise.all([
        check('dynamodb', () => clients.doc.send(new GetCommand({ TableName: stores.names.tables.tenants, Key: { tenantId: '#readyz' } }))),
        check('sqs', async () =>
          clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: await stores.queues.jobsUrl('free'), AttributeNames: ['QueueArn'] })),
        ),
      ]),
    );
    const ready = Object.values(results).every((v) => v === 'ok') && !shutdown.signal.aborted;
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', ...results });
  };

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
          return handleReady(res);
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
      if (!res.headersSent) sendJson(res, 500, { jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
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

/** The edge's origin as this client reached it (behind a load balancer, its X-Forwarded-Proto). */
function originOf(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return undefined;
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = forwarded === 'https' || forwarded === 'http' ? forwarded : 'http';
  return `${proto}://${host}`;
}

/** No Origin (not a browser) or a loopback one. */
function localOrigin(origin: string | undefined): boolean {
  if (!origin) return true;
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
