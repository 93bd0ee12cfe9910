import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { DeliveryRefusedError, guardedLookup, urlProblem, type Resolver } from './address-guard.js';

/** At most this much of a receiver's answer is read (kept for the delivery record); the rest is dropped. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** @default 10 s: one attempt, connect to last byte. */
export const SEND_TIMEOUT_MS = 10_000;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SendResult {
  statusCode: number;
  latencyMs: number;
  /** The first bytes of the answer (up to MAX_RESPONSE_BYTES), for the delivery record. */
  responseExcerpt: string;
}

/** Sends one delivery; throws DeliveryRefusedError (SSRF rule) or any network/timeout error. */
export interface Sender {
  send(request: WebhookRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface HttpSenderOptions {
  /** aws mode: true (https only, no loopback). local mode: false (http and loopback allowed). */
  strict: boolean;
  /** @default the OS resolver (dns.lookup) */
  resolver?: Resolver;
  /** @default SEND_TIMEOUT_MS */
  timeoutMs?: number;
}

/**
 * The real sender: undici with an agent whose every connection resolves DNS through the address
 * guard. Redirects are not followed (a 3xx is a failure), so a receiver cannot bounce us inward.
 */
export class HttpSender implements Sender {
  private readonly agent: Agent;
  private readonly policy: { allowLoopback: boolean; httpsOnly: boolean };
  private readonly timeoutMs: number;

  constructor(options: HttpSenderOptions) {
    this.policy = { allowLoopback: !options.strict, httpsOnly: options.strict };
    this.timeoutMs = options.timeoutMs ?? SEND_TIMEOUT_MS;
    this.agent = new Agent({
      connect: { lookup: guardedLookup({ allowLoopback: this.policy.allowLoopback }, options.resolver), timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      // One delivery per connection is the common case; do not hold sockets to strangers.
      keepAliveTimeout: 1000,
    });
  }

  async send(req: WebhookRequest): Promise<SendResult> {
    const url = new URL(req.url);
    const problem = urlProblem(url, this.policy);
    if (problem) throw new DeliveryRefusedError(problem);
    const started = performance.now();
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Outpost-Webhooks/1', ...req.headers },
      body: req.body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = MAX_RESPONSE_BYTES - size;
      chunks.push(chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
      if (size >= MAX_RESPONSE_BYTES) {
        res.body.destroy();
        break;
      }
    }
    return { statusCode: res.statusCode, latencyMs: Math.round(performance.now() - started), responseExcerpt: Buffer.concat(chunks).toString('utf8') };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
