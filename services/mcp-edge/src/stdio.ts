#!/usr/bin/env node
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ConfigError, createAwsClients, createLogger, IdempotencyStore, openParameterStore, openStores, systemClock } from '@outpost/shared';
import { withLocalEndpoints } from '@outpost/shared';
import { Authenticator } from './auth.js';
import { callLogger, tagCalls } from './call-context.js';
import { loadMcpEdgeConfig } from './config.js';
import { createMcpServer } from './mcp-server.js';
import { StoredSecretNames } from './stored-secret-names.js';

// `outpost-mcp`: the same tools over stdio for a local MCP client, acting as OUTPOST_API_KEY's
// tenant. stdout carries the protocol, so logs go to stderr.
async function main(): Promise<void> {
  let config;
  try {
    // An MCP client starts this from its own project directory: find a local stack by itself.
    config = loadMcpEdgeConfig(withLocalEndpoints(process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`outpost-mcp: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (!config.apiKey) {
    process.stderr.write('outpost-mcp: set OUTPOST_API_KEY to your Outpost API key (op_live_… or op_test_…)\n');
    process.exit(2);
  }
  const logger = callLogger(createLogger({ service: 'mcp-edge-stdio', level: config.logLevel, destination: process.stderr }));
  const clients = createAwsClients(config);
  const stores = openStores(config, clients);
  const tenant = await new Authenticator({ tenants: stores.tenants, ttlMs: 0 }).resolve(config.apiKey);
  if (!tenant) {
    process.stderr.write('outpost-mcp: OUTPOST_API_KEY is not a valid, unrevoked Outpost API key\n');
    process.exit(2);
  }
  const shutdown = new AbortController();
  const server = createMcpServer({
    config,
    clients,
    stores,
    idempotency: new IdempotencyStore({ tableName: stores.names.tables.idempotency, doc: clients.doc }),
    secretNames: new StoredSecretNames({ params: openParameterStore(config, 'secrets'), env: config.env }),
    logger: logger.child({ tenantId: tenant.tenantId }),
    clock: systemClock,
    shutdown: shutdown.signal,
    tenant,
  });
  const stop = () => {
    shutdown.abort();
    void server.close().finally(() => {
      clients.destroy();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  tagCalls(transport);
}

main().catch((err: unknown) => {
  process.stderr.write(`outpost-mcp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
