import { createServer, request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { costOf, PROVIDERS, priceFor, recordModelUsage, silentLogger, VENDOR_BASE_URLS, type Logger, type PriceTable, type Provider } from '@outpost/shared';
import { UsageMeter, wireFormatOf } from './meter.js';
import { peerUid } from './peer-uid.js';
import { hashToken, RunGrant, type RunGrantOptions } from './run-grant.js';

export interface GatewayOptions {
  /** Where each provider's calls go (the deployment's endpoint, else the vendor's), no trailing slash. */
  upstreams: Record<Provider, string>;
  prices: PriceTable;
  /** @default silentLogger */
  logger?: Logger;
}

/** Headers that belong to one hop, never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
/** Where a client may carry its key; the token is looked for, and replaced, in each. */
const KEY_HEADERS = ['x-api-key', 'x-goog-api-key', 'authorization'] as const;

/**
 * The model gateway: a loopback HTTP proxy between the agents of one worker and the model
 * providers. An agent holds only its run's token; the gateway checks it, puts the tenant's real key
 * in its place, forwards to the provider, streams the answer back unchanged, and counts the usage
 * and cost each answer reports against the run's limits.
 */
export class ModelGateway {
  private readonly grants = new Map<string, RunGrant>();
  private readonly logger: Logger;
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  private readonly sockets = new Set<Socket>();
  /** A connection's owner, looked up once per connection (keep-alive carries many calls). */
  private readonly owners = new WeakMap<Socket, Promise<number | undefined>>();

  private constructor(
    private readonly o: GatewayOptions,
    private readonly servers: Record<Provider, { server: Server; port: number }>,
  ) {
    this.logger = o.logger ?? silentLogger;
  }

  /**
   * One loopback port per provider, so each base URL has exactly the shape of the vendor's own
   * (`http://127.0.0.1:P/v1` for OpenAI's `https://api.openai.com/v1`): CLIs that build paths
   * from the origin alone still reach the right provider.
   */
  static async start(o: GatewayOptions): Promise<ModelGateway> {
    const servers = {} as Record<Provider, { server: Server; port: number }>;
    for (const p of PROVIDERS) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      servers[p] = { server, port: (server.address() as AddressInfo).port };
    }
    const gw = new ModelGateway(o, servers);
    for (const p of PROVIDERS) {
      const { server } = servers[p];
      server.on('request', (req: IncomingMessage, res: ServerResponse) => void gw.handle(p, req, res));
      server.on('upgrade', (req: IncomingMessage, socket: Duplex) => gw.refuseUpgrade(req, socket));
      server.on('connection', (s: Socket) => {
        gw.sockets.add(s);
        s.once('close', () => gw.sockets.delete(s));
      });
    }
    return gw;
  }

  /** The base URL an agent is given for `provider`: the vendor's shape, on loopback. */
  baseUrl(provider: Provider): string {
    return `http://127.0.0.1:${this.servers[provider].port}${vendorPath(provider)}`;
  }

  /** Every provider's base URL on this gateway. */
  endpoints(): Record<Provider, string> {
    return Object.fromEntries(PROVIDERS.map((p) => [p, this.baseUrl(p)])) as Record<Provider, string>;
  }

  /** A run's grant; revoke it (or close()) when the run ends. */
  grant(o: RunGrantOptions): RunGrant {
    const g = new RunGrant(o);
    this.grants.set(g.tokenHash, g);
    const revoke = g.revoke.bind(g);
    g.revoke = () => {
      revoke();
      this.grants.delete(g.tokenHash);
    };
    return g;
  }

  async close(): Promise<void> {
    for (const g of this.grants.values()) g.revoke();
    for (const s of this.sockets) s.destroy();
    this.agents.http.destroy();
    this.agents.https.destroy();
    await Promise.all(PROVIDERS.map((p) => new Promise<void>((resolve) => this.servers[p].server.close(() => resolve()))));
  }

  private async handle(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const token = tokenOf(req.headers, url);
    const grant = token ? this.grants.get(hashToken(token)) : undefined;
    if (!grant?.active) {
      this.logger.warn({ provider, path: url.pathname }, 'model gateway refused a call without a live run token');
      return refuse(res, 401, 'authentication_error', 'invalid or expired Outpost run token');
    }
    if (grant.o.agentUid !== undefined) {
      const uid = await this.uidOf(provider, req.socket);
      if (uid !== grant.o.agentUid) {
        this.logger.warn({ provider, runId: grant.runId, tenantId: grant.tenantId, uid }, 'model gateway refused a run token used by another user');
        return refuse(res, 401, 'authentication_error', 'invalid or expired Outpost run token');
      }
    }
    const key = grant.keyFor(provider);
    if (!key) return refuse(res, 401, 'authentication_error', `this run has no ${provider} key`);
    const over = await grant.admit().catch(() => undefined);
    if (over) return refuse(res, 403, 'budget_exceeded', over.message);

    // The path after the vendor base's own path (`/v1` for OpenAI) goes after the upstream base.
    const base = vendorPath(provider);
    const path = base && url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length) : url.pathname;
    const target = new URL(this.o.upstreams[provider] + path);
    for (const [k, v] of url.searchParams) target.searchParams.append(k, k === 'key' && v === token ? key : v);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP.has(k)) continue;
      headers[k] = v;
    }
    for (const h of KEY_HEADERS) {
      const v = headers[h];
      if (typeof v === 'string' && token && v.includes(token)) headers[h] = v.replace(token, key);
    }
    // The meter reads the answer as it passes, so it must arrive unencoded.
    headers['accept-encoding'] = 'identity';
    const format = wireFormatOf(path);
    const pathModel = /\/models\/([^/:]+)/.exec(path)?.[1];
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(target, { method: req.method, headers, agent: target.protocol === 'https:' ? this.agents.https : this.agents.http });
    req.pipe(upstream);
    req.once('aborted', () => upstream.destroy());
    upstream.once('error', (err) => {
      this.logger.warn({ err, provider, runId: grant.runId, tenantId: grant.tenantId }, 'model gateway: upstream call failed');
      if (!res.headersSent) refuse(res, 502, 'api_error', `the ${provider} endpoint could not be reached`);
      else res.destroy();
    });
    upstream.once('response', (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      const meter = new UsageMeter(format, String(up.headers['content-type'] ?? ''), pathModel);
      up.on('data', (chunk: Buffer) => {
        meter.push(chunk);
        if (!res.write(chunk)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
      });
      up.once('end', () => {
        res.end();
        const { usage, model } = meter.end();
        const price = priceFor(this.o.prices, model);
        const cost = usage && price ? costOf(price, usage) : 0;
        if (format === 'other') return;
        recordModelUsage({ tenantId: grant.tenantId, provider, inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0, costUsd: cost });
        void grant.record(model, usage, cost).catch((err: unknown) => this.logger.warn({ err, runId: grant.runId }, 'recording model spend failed'));
      });
      up.once('error', () => res.destroy());
      res.once('close', () => {
        if (!up.complete) up.destroy();
      });
    });
  }

  private uidOf(provider: Provider, socket: Socket): Promise<number | undefined> {
    let owner = this.owners.get(socket);
    if (!owner) {
      owner = peerUid(this.servers[provider].port, socket.remotePort ?? 0);
      this.owners.set(socket, owner);
    }
    return owner;
  }

  // WebSockets are not proxied. Codex falls back to HTTP at once on a 426 (a 404 costs it seven
  // tries, about 6 s); its adapter also turns its WebSocket transport off.
  private refuseUpgrade(_req: IncomingMessage, socket: Duplex): void {
    socket.end('HTTP/1.1 426 Upgrade Required\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
  }
}

function vendorPath(provider: Provider): string {
  return new URL(VENDOR_BASE_URLS[provider]).pathname.replace(/\/+$/, '');
}

function tokenOf(h: IncomingHttpHeaders, url: URL): string | undefined {
  const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const bearer = /^Bearer\s+(\S+)/i.exec(single(h.authorization) ?? '')?.[1];
  return single(h['x-api-key']) ?? single(h['x-goog-api-key']) ?? bearer ?? url.searchParams.get('key') ?? undefined;
}

/** An error in the shape every provider's client reads: `{error: {type, message}}` (+ `code` for OpenAI's). */
function refuse(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ type: 'error', error: { type, code: type, message, status } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
