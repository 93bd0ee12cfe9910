import type { IncomingHttpHeaders } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** Why a POST is refused before its message is read: the status, JSON-RPC code and words the SDK's transport uses. */
export interface PostProblem {
  status: number;
  code: number;
  message: string;
}

/**
 * The checks the SDK's Streamable HTTP transport makes of a POST after initialization (Accept,
 * Content-Type, MCP-Protocol-Version, a valid JSON-RPC message), in its order and with its answers.
 */
export function postProblem(headers: IncomingHttpHeaders, body: unknown): PostProblem | undefined {
  const accept = headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return { status: 406, code: -32000, message: 'Not Acceptable: Client must accept both application/json and text/event-stream' };
  }
  if (!isJsonContentType(headers['content-type'] ?? null)) {
    return { status: 415, code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' };
  }
  if (!JSONRPCMessageSchema.safeParse(body).success) return { status: 400, code: -32700, message: 'Parse error: Invalid JSON-RPC message' };
  const version = headers['mcp-protocol-version'];
  if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return {
      status: 400,
      code: -32000,
      message: `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    };
  }
  return undefined;
}

/**
 * The transport for one request answered with one JSON body (json-answer.ts says which): the
 * message goes straight to the server and its response is the answer. The SDK's transport does the
 * same through Web-standard Request/Response objects built from Node's (its hono adapter), which
 * was a fifth of the edge's work per get_run; this skips the conversion. Notifications the call
 * sends are dropped: such a call asked for no progress and answers nothing before its result.
 */
export class OneCallTransport implements Transport {
  sessionId: string | undefined = undefined;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  /** The response to the request, or undefined when the transport closed first (a cancelled call). */
  readonly answer: Promise<JSONRPCMessage | undefined>;
  private settle!: (message: JSONRPCMessage | undefined) => void;
  private closed = false;

  constructor(private readonly requestId: RequestId) {
    this.answer = new Promise((resolve) => (this.settle = resolve));
  }

  async start(): Promise<void> {}

  /** Hands the request to the server (after connect). */
  deliver(message: JSONRPCMessage, headers: IncomingHttpHeaders, url: URL): void {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    this.onmessage?.(message, { requestInfo: { headers: flat, url } });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id === this.requestId) this.settle(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settle(undefined);
    this.onclose?.();
  }
}
