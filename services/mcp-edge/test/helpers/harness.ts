import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { FileParameterStore, openStores, parameterPaths, resolveTiers, type SecretName, type Stores, type TierLimits, type TierName } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { startEdge, type Edge, type EdgeOptions } from '../../src/index.js';

export interface Harness {
  stack: TestStack;
  stores: Stores;
  edge: Edge;
  /** `http://127.0.0.1:port/mcp` */
  mcpUrl: string;
  /**
   * A new tenant and API key. It has a (fake) key for every model provider unless `secrets` says
   * otherwise, so dispatch finds what each agent needs; github_token only when given.
   */
  tenant(tier?: TierName, options?: { secrets?: Partial<Record<SecretName, string>> }): Promise<{ tenantId: string; apiKey: string }>;
  /** Stores one of a tenant's secrets, as `npm run tenant -- set-secret` does in local mode. */
  setSecret(tenantId: string, name: SecretName, value: string): Promise<void>;
  /** A connected MCP client acting with `apiKey`. */
  client(apiKey: string): Promise<Client>;
  close(): Promise<void>;
}

/** Emulators, a provisioned stack and the edge in-process on a free port. */
export async function startHarness(
  options: {
    tiers?: Partial<Record<TierName, Partial<TierLimits>>>;
    authCacheMs?: number;
    /** Dashboard settings (its app directory, polls, caches). */
    dashboard?: EdgeOptions['dashboard'];
    /** The edge's clock (OAuth expiry tests move it). */
    clock?: EdgeOptions['clock'];
  } = {},
): Promise<Harness> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-edge-'));
  const stack = await startTestStack({ home });
  const config = { ...stack.config, tiers: resolveTiers(options.tiers ?? {}), port: 0, host: '127.0.0.1', authCacheMs: options.authCacheMs ?? 15_000 };
  const edge = await startEdge({
    config,
    clients: stack.clients,
    ...(options.dashboard ? { dashboard: options.dashboard } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const stores = openStores(stack.config, stack.clients);
  const clients: Client[] = [];
  const params = new FileParameterStore(path.join(stack.config.home, 'secrets.json'));
  const setSecret = (tenantId: string, name: SecretName, value: string) => params.put(parameterPaths.tenantSecret(stack.config.env, tenantId, name), value);
  return {
    stack,
    stores,
    edge,
    mcpUrl: `${edge.url}/mcp`,
    async tenant(tier: TierName = 'enterprise', { secrets = MODEL_KEYS } = {}) {
      const t = await stores.tenants.createTenant({ name: `test-${tier}`, tier });
      const { apiKey } = await stores.tenants.createApiKey(t.tenantId, 'test');
      for (const [name, value] of Object.entries(secrets)) await setSecret(t.tenantId, name as SecretName, value);
      return { tenantId: t.tenantId, apiKey };
    },
    setSecret,
    async client(apiKey: string) {
      const client = new Client({ name: 'edge-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await edge.close(1_000);
      await stack.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

// The MCP call helpers are the testkit's; re-exported so this suite's files import one place.
export { call, callError, callOk, textOf } from '@outpost/testkit';

export const REPO = 'https://github.com/example/project.git';

/**
 * The `outpost-mcp` bin (packages/outpost-mcp), built: turbo builds it before this package's tests
 * (`npx turbo run build --filter=@outpost/outpost-mcp...` when running jest by hand).
 */
export const STDIO_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../packages/outpost-mcp/dist/main.js');

/** A stand-in value for every model provider's key (never sent anywhere: no worker runs here). */
export const MODEL_KEYS: Partial<Record<SecretName, string>> = {
  anthropic_api_key: 'test-anthropic-key',
  openai_api_key: 'test-openai-key',
  gemini_api_key: 'test-gemini-key',
  xai_api_key: 'test-xai-key',
};
