import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { withIncomingTrace, type BaseConfig } from '@outpost/shared';
import type { Authenticator } from '../auth.js';
import { tagCalls } from '../call-context.js';
import type { EdgeDeps } from '../deps.js';
import type { CallPrincipal, InFlightCalls } from '../in-flight-calls.js';
import { answersInOne, calledTool } from './json-answer.js';
import { OneCallTransport, postProblem } from './one-call-transport.js';
import { createMcpServer } from '../mcp-server.js';
import type { ToolRegistrar } from '../tools/index.js';
import { unauthorizedBody, wwwAuthenticate } from '../unauthorized.js';
import { sendJson, sendJsonRpcError } from './answers.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { readMcpBody } from './body.js';

export interface McpRouteDeps {
  config: Pick<BaseConfig, 'mode' | 'home'>;
  deps: EdgeDeps;
  authenticator: Authenticator;
  calls: InFlightCalls;
  tools: readonly ToolRegistrar[];
  /** The protected resource metadata URL for 401s, once OAuth is on (known after listen). */
  resourceMetadataUrl: () => string | undefined;
}

/**
 * `/mcp`, MCP Streamable HTTP, stateless: a fresh McpServer and transport per request, so any edge
 * instance can answer any call. A `notifications/cancelled` POST stops the call it names.
 */
export function mcpRoute(route: McpRouteDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { config, deps, authenticator, calls, tools } = route;
  const { logger } = deps;
  return async (req, res) => {
    if (deps.shutdown.aborted) return sendJson(res, 503, { error: 'shutting down' }, { Connection: 'close' });
    // MCP's transport rules: a browser page must not reach a local server via DNS rebinding.
    if (config.mode === 'local' && !localOrigin(req.headers.origin)) return sendJson(res, 403, { error: 'origin not allowed' });
    const tenant = await authenticator.fromHeader(req.headers.authorization);
    if (!tenant) {
      const challenge = wwwAuthenticate(req.headers.authorization, route.resourceMetadataUrl());
      return sendJson(res, 401, unauthorizedBody(req.headers.authorization, config), { 'WWW-Authenticate': challenge });
    }
    if (req.method !== 'POST') {
      // Stateless: no standalone SSE stream (GET) and no session to delete (DELETE).
      return sendJsonRpcError(res, 405, -32000, 'Method not allowed.', { Allow: 'POST' });
    }
    const parsed = await readMcpBody(req, res);
    if (!parsed) return;
    const { body } = parsed;
    const sessionId = req.headers['mcp-session-id'];
    const principal: CallPrincipal = { tenantId: tenant.tenantId, authorization: req.headers.authorization, sessionId: typeof sessionId === 'string' ? sessionId : undefined };
    const cancelled = calls.cancel(principal, body);
    if (cancelled > 0) logger.info({ tenantId: tenant.tenantId, cancelled }, 'call cancelled by the client');
    const json = answersInOne(body);
    if (json) {
      // One request, one JSON answer: straight to the server (one-call-transport.ts), after the
      // checks the SDK's transport would make.
      const problem = postProblem(req.headers, body);
      if (problem) return sendJsonRpcError(res, problem.status, problem.code, problem.message);
    }
    const server = createMcpServer({ ...deps, tenant, logger: logger.child({ tenantId: tenant.tenantId }) }, tools, originOf(req), json ? { tool: calledTool(body) } : undefined);
    const transport = json
      ? new OneCallTransport((body as { id: RequestId }).id)
      : new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: false });
    let closed = false;
    // Closing the server closes its transport too (each close builds an error object: do it once).
    // A cancelled call's response never comes (the SDK drops it), so closing is what ends the POST:
    // an SSE stream ends with the transport; a JSON answer settles empty, and is ended with 202
    // (as for a message that needs no answer).
    const stop = () => {
      if (closed) return;
      closed = true;
      void server.close();
    };
    const untrack = calls.track(principal, body, { stop });
    res.on('close', () => {
      untrack();
      stop();
    });
    await server.connect(transport);
    tagCalls(transport);
    // A client that traces (W3C traceparent header) gets the call's spans in its own trace.
    if (transport instanceof OneCallTransport) {
      withIncomingTrace(req.headers, () => transport.deliver(body as JSONRPCMessage, req.headers, new URL(req.url ?? '/mcp', 'http://edge')));
      const answer = await transport.answer;
      if (res.headersSent || res.writableEnded) return;
      if (answer) sendJson(res, 200, answer);
      else {
        res.writeHead(202);
        res.end();
      }
      return;
    }
    await withIncomingTrace(req.headers, () => transport.handleRequest(req, res, body));
  };
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
