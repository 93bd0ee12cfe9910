import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the independent Standard Webhooks implementation said about the signature. */
  verified: boolean;
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1, written the way a tenant's app would be: it verifies each
 * delivery with the `standardwebhooks` package and dedupes events by `webhook-id`. `answers`
 * are the status codes of the next requests (then 200).
 */
export class Receiver {
  readonly requests: Received[] = [];
  /** Events the "app" acted on: one per webhook-id. */
  readonly events = new Map<string, unknown>();
  answers: number[] = [];
  secret: string | undefined;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified = false;
        if (this.secret) {
          try {
            new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
            verified = true;
          } catch {
            verified = false;
          }
        }
        const status = this.answers.shift() ?? 200;
        this.requests.push({ headers: req.headers, body, verified, status });
        const id = String(req.headers['webhook-id'] ?? '');
        if (status === 200 && (verified || !this.secret) && !this.events.has(id)) this.events.set(id, JSON.parse(body));
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks/outpost`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
