import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { RUN_ID_PATTERN } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { notFoundMessage } from '../domain/run-view.js';
import { RESOURCE_NOT_FOUND } from './run-resources.js';
import { RUN_URI_PREFIX } from './run-uris.js';

/** How often subscribed runs are read (one consistent read per subscribed run). */
export const SUBSCRIPTION_POLL_MS = 2_000;

export interface RunSubscriptions {
  /** Stops polling (the server is closing). */
  stop(): void;
}

/**
 * `resources/subscribe` for the run resources, for a server that lives as long as its session: the
 * stdio server. It polls each subscribed run and sends `notifications/resources/updated` when the
 * run record changes (its version moves: status, progress, log chunks, result). The stateless HTTP
 * edge cannot deliver these (no session and no standalone SSE stream: a fresh server per POST), so
 * it does not offer subscriptions. Call before `server.connect()` (it declares the capability).
 */
export function enableRunSubscriptions(server: McpServer, deps: ToolDeps, pollMs = SUBSCRIPTION_POLL_MS): RunSubscriptions {
  /** Subscribed URI → the run it follows and the version last seen. */
  const subscribed = new Map<string, { runId: string; version: number }>();
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async ({ params }) => {
    const runId = runIdOf(params.uri);
    const run = runId ? await deps.stores.runs.get(deps.tenant.tenantId, runId) : undefined;
    if (!run || !runId) throw new McpError(RESOURCE_NOT_FOUND, notFoundMessage(runId ?? params.uri), { uri: params.uri });
    subscribed.set(params.uri, { runId, version: run.version });
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async ({ params }) => {
    subscribed.delete(params.uri);
    return {};
  });
  let polling = false;
  const poll = async () => {
    if (polling || subscribed.size === 0) return;
    polling = true;
    try {
      for (const [uri, sub] of subscribed) {
        const run = await deps.stores.runs.get(deps.tenant.tenantId, sub.runId);
        if (!run || run.version === sub.version) continue;
        sub.version = run.version;
        await server.server.sendResourceUpdated({ uri });
      }
    } catch (err) {
      deps.logger.warn({ err }, 'resource subscription poll failed');
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), pollMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The run id of a run resource URI (`outpost://runs/{runId}[/log|/patch|/summary]`), if it is one. */
function runIdOf(uri: string): string | undefined {
  if (!uri.startsWith(RUN_URI_PREFIX)) return undefined;
  const [runId, kind, ...rest] = uri.slice(RUN_URI_PREFIX.length).split('/');
  if (rest.length > 0 || (kind !== undefined && !['log', 'patch', 'summary'].includes(kind))) return undefined;
  return runId && RUN_ID_PATTERN.test(runId) ? runId : undefined;
}
