import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_USAGE, type Script, type ScriptUsage } from './script.js';

export type Protocol = 'anthropic' | 'openai-responses' | 'openai-chat' | 'gemini';

/** One request the API received, as a test reads it back. */
export interface RecordedRequest {
  protocol: Protocol | 'unknown';
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** The key it carried (x-api-key, Bearer, x-goog-api-key or ?key=). */
  key: string | undefined;
  model: string | undefined;
  stream: boolean;
  body: unknown;
  /** Every string in the body, joined by newlines: where a test looks for its task text. */
  text: string;
  /** The status answered (101 for an accepted upgrade, 0 when the connection was cut). */
  status: number;
}

/** A request being answered: the handler writes `res` and fills in `record`. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body: unknown;
  /** The script registered for the request's key. */
  script: Script;
  usage: ScriptUsage;
  record: RecordedRequest;
}

/** One provider protocol. */
export interface ProtocolHandler {
  protocol: Protocol;
  matches(method: string, url: URL): boolean;
  handle(x: Exchange): Promise<void> | void;
  /** A WebSocket upgrade on one of its paths; the handler answers or closes the socket. */
  upgrade?(req: IncomingMessage, socket: Duplex, record: RecordedRequest): void;
}

export interface ModelApi {
  /** `http://127.0.0.1:PORT` (no trailing slash; each CLI's base URL is built from it). */
  url: string;
  /** Registers the script answered to requests carrying `key`. Unknown keys get a 401. */
  script(key: string, script: Script, usage?: ScriptUsage): void;
  readonly requests: readonly RecordedRequest[];
  requestsFor(key: string): RecordedRequest[];
  close(): Promise<void>;
}

const UNKNOWN_KEY: Script = [{ kind: 'status', status: 401, message: 'invalid x-api-key' }];

/**
 * A scripted model API on loopback: the real agent CLIs talk to it as to their vendor, and it
 * answers from a script per key. Every request is recorded.
 */
export async function startModelApi(handlers: readonly ProtocolHandler[]): Promise<ModelApi> {
  const scripts = new Map<string, { script: Script; usage: ScriptUsage }>();
  const requests: RecordedRequest[] = [];
  const newRecord = (req: IncomingMessage, url: URL): RecordedRequest => ({
    protocol: 'unknown',
    method: req.method ?? 'GET',
    path: url.pathname + url.search,
    key: keyOf(req, url),
    model: undefined,
    stream: false,
    body: undefined,
    text: '',
    status: 0,
  });

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = newRecord(req, url);
      requests.push(record);
      const raw = Buffer.concat(chunks).toString('utf8');
      record.body = parseJson(raw);
      record.text = strings(record.body).join('\n');
      res.on('finish', () => (record.status = res.statusCode));
      const handler = handlers.find((h) => h.matches(record.method, url));
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no scripted route for ${record.method} ${url.pathname}` } }));
        return;
      }
      record.protocol = handler.protocol;
      const entry = record.key !== undefined ? scripts.get(record.key) : undefined;
      const x: Exchange = { req, res, url, body: record.body, script: entry?.script ?? UNKNOWN_KEY, usage: entry?.usage ?? DEFAULT_USAGE, record };
      Promise.resolve(handler.handle(x)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `scripted API error: ${String(err)}` } }));
      });
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = newRecord(req, url);
    requests.push(record);
    const handler = handlers.find((h) => h.upgrade && h.matches(record.method, url));
    if (!handler?.upgrade) {
      record.status = 404;
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    record.protocol = handler.protocol;
    handler.upgrade(req, socket, record);
  });
  const sockets = new Set<Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    script: (key, script, usage = DEFAULT_USAGE) => void scripts.set(key, { script, usage }),
    requests,
    requestsFor: (key) => requests.filter((r) => r.key === key),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function keyOf(req: IncomingMessage, url: URL): string | undefined {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const bearer = /^Bearer\s+(.+)$/i.exec(header('authorization') ?? '')?.[1];
  return header('x-api-key') ?? bearer ?? header('x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
}

function parseJson(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Every string leaf of a JSON value, in order. */
export function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) strings(x, out);
  return out;
}
