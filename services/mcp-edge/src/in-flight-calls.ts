import { CancelledNotificationSchema, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { sha256Hex } from '@outpost/shared';

/** Who sent a request: the tenant, the credential it used and the MCP session, if the client sent one. */
export interface CallPrincipal {
  tenantId: string;
  /** The Authorization header as sent (only its hash is kept). */
  authorization: string | undefined;
  /** The `Mcp-Session-Id` header: stateless, the edge issues none, but a client may send one. */
  sessionId: string | undefined;
}

/** One POST's server, to stop when the client cancels a request it carries. */
export interface InFlightCall {
  stop(): void;
}

/**
 * The requests this edge process is answering, so that `notifications/cancelled` reaches them.
 * Stateless HTTP builds a fresh McpServer per POST, so the notification (a POST of its own) never
 * meets the request it cancels; here it finds that request's server by (principal, request id) and
 * closes it, which aborts the call's signal (a wait_for_run returns at once) and ends its response.
 * Two clients of one API key that reuse a request id are told apart only by an Mcp-Session-Id; the
 * worst a collision does is cancel a call of the same tenant and key.
 */
export class InFlightCalls {
  private readonly calls = new Map<string, InFlightCall>();

  /** In-flight requests now (tests watch it fall when a call is cancelled). */
  get size(): number {
    return this.calls.size;
  }

  /** Registers the requests in `body` (one JSON-RPC message or a batch); returns the unregister. */
  track(principal: CallPrincipal, body: unknown, call: InFlightCall): () => void {
    const keys = messages(body)
      .filter(isJSONRPCRequest)
      .map((m) => keyOf(principal, m.id));
    for (const key of keys) this.calls.set(key, call);
    return () => {
      for (const key of keys) if (this.calls.get(key) === call) this.calls.delete(key);
    };
  }

  /** Stops every call that a `notifications/cancelled` in `body` names; returns how many. */
  cancel(principal: CallPrincipal, body: unknown): number {
    let stopped = 0;
    for (const message of messages(body)) {
      const parsed = CancelledNotificationSchema.safeParse(message);
      const requestId = parsed.success ? parsed.data.params.requestId : undefined;
      if (requestId === undefined) continue;
      const key = keyOf(principal, requestId);
      const call = this.calls.get(key);
      if (!call) continue;
      // Left registered: the entry goes when the call's response has ended (its untrack).
      call.stop();
      stopped++;
    }
    return stopped;
  }
}

function messages(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

function keyOf(principal: CallPrincipal, id: string | number): string {
  // JSON keeps 1 and "1" apart, as JSON-RPC does.
  return JSON.stringify([principal.tenantId, sha256Hex(principal.authorization ?? ''), principal.sessionId ?? '', id]);
}
