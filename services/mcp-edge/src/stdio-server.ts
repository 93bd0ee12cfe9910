import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  ConfigError,
  createAwsClients,
  createLogger,
  openParameterStore,
  openStores,
  OutpostError,
  systemClock,
  withLocalEndpoints,
} from '@outpost/shared';
import { Authenticator } from './auth.js';
import { callLogger, tagCalls } from './call-context.js';
import { loadMcpEdgeConfig } from './config.js';
import { createMcpServer } from './mcp-server.js';
import { enableRunSubscriptions } from './resources/run-subscriptions.js';
import { StoredSecretNames } from './stored-secret-names.js';

/** Why the stdio server cannot start, in words for the person who configured it (exit code 2). */
export class StdioStartError extends OutpostError {
  override readonly name = 'StdioStartError';
  readonly code = 'config';
}

export interface StdioServer {
  /** Closes the MCP server and the AWS clients; long waits return early. */
  stop(): Promise<void>;
}

/**
 * The edge's tools, resources and prompts over stdio (stdin/stdout) for a local MCP client, acting
 * as OUTPOST_API_KEY's tenant: the engine of the `outpost-mcp` bin (packages/outpost-mcp).
 * stdout carries the protocol, so logs go to stderr. One server serves the whole session, so the
 * SDK itself routes notifications/cancelled to the call it names, and run resources can be subscribed to.
 */
export async function startStdioServer(env: NodeJS.ProcessEnv): Promise<StdioServer> {
  let config;
  try {
    // An MCP client starts this from its own project directory: find a local stack by itself.
    config = loadMcpEdgeConfig(withLocalEndpoints(env));
  } catch (err) {
    if (err instanceof ConfigError) throw new StdioStartError(err.message, { cause: err });
    throw err;
  }
  if (!config.apiKey) throw new StdioStartError('set OUTPOST_API_KEY to your Outpost API key (op_live_… or op_test_…)');
  const logger = callLogger(createLogger({ service: 'mcp-edge-stdio', level: config.logLevel, destination: process.stderr }));
  const clients = createAwsClients(config);
  const stores = openStores(config, clients);
  const tenant = await new Authenticator({ tenants: stores.tenants, ttlMs: 0 }).resolve(config.apiKey);
  if (!tenant) {
    clients.destroy();
    throw new StdioStartError('OUTPOST_API_KEY is not a valid, unrevoked Outpost API key');
  }
  const shutdown = new AbortController();
  const deps = {
    config,
    clients,
    stores,
    secretNames: new StoredSecretNames({ params: openParameterStore(config, 'secrets'), env: config.env }),
    logger: logger.child({ tenantId: tenant.tenantId }),
    clock: systemClock,
    shutdown: shutdown.signal,
    tenant,
  };
  const server = createMcpServer(deps);
  // One server for the session: it can deliver resource updates (the HTTP edge cannot).
  const subscriptions = enableRunSubscriptions(server, deps);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  tagCalls(transport);
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        shutdown.abort();
        subscriptions.stop();
        await server.close();
        clients.destroy();
      })();
      return stopping;
    },
  };
}
