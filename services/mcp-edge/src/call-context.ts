import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '@outpost/shared';

/** What every log line of one incoming MCP message carries. */
export interface CallContext {
  /** `req_` + a UUID: one per message the client sends (one per tool call). */
  requestId: string;
  /** The tool, for a tools/call. */
  tool?: string;
}

const calls = new AsyncLocalStorage<CallContext>();

/** The request id of the call this code runs for, if any. */
export function currentRequestId(): string | undefined {
  return calls.getStore()?.requestId;
}

/**
 * Gives each message the transport delivers its own call context. Call after `server.connect()`
 * (which sets onmessage): the handler and everything it awaits run inside the context, so every
 * line they log carries the request id. Over stdio one server answers many calls, so the id cannot
 * be bound once per connection.
 */
export function tagCalls(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) throw new Error('tagCalls() needs a connected transport (onmessage is unset)');
  transport.onmessage = (message, extra) => {
    const params = 'method' in message && message.method === 'tools/call' ? (message.params as { name?: unknown } | undefined) : undefined;
    const context: CallContext = { requestId: `req_${randomUUID()}`, ...(typeof params?.name === 'string' ? { tool: params.name } : {}) };
    calls.run(context, () => deliver(message, extra));
  };
}

/**
 * The edge's logger: adds the current call's context to each line, and never binds a field twice
 * (pino writes a key once per child that binds it: the request's `tenantId` and runLogger's
 * `tenantId` both landed on every run line).
 */
export function callLogger(base: Logger, bound: Record<string, unknown> = {}): Logger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object, msg?: string) => {
    const context = calls.getStore();
    const extra = context ? Object.fromEntries(Object.entries(context).filter(([k]) => !(k in bound) && !(k in obj))) : {};
    base[level](Object.keys(extra).length > 0 ? { ...extra, ...obj } : obj, msg);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child(bindings) {
      const fresh = Object.fromEntries(Object.entries(bindings).filter(([k, v]) => !(k in bound && bound[k] === v)));
      return callLogger(Object.keys(fresh).length > 0 ? base.child(fresh) : base, { ...bound, ...fresh });
    },
  };
}
