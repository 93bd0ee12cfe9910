import { z } from 'zod';
import { BaseEnv, checkBaseEnv, parseEnv, toBaseConfig, type BaseConfig } from '@outpost/shared';

/** Environment of the MCP edge: the shared variables plus its own. */
export const McpEdgeEnv = BaseEnv.extend({
  OUTPOST_EDGE_PORT: z.coerce.number().int().min(0).max(65_535).default(7400).describe('Port of the HTTP server (`/mcp`, `/healthz`, `/readyz`).'),
  OUTPOST_EDGE_HOST: z
    .string()
    .min(1)
    .optional()
    .describe('Address to bind. Default: 127.0.0.1 in local mode, 0.0.0.0 in aws mode.'),
  OUTPOST_AUTH_CACHE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .default(15)
    .describe('Seconds an API key lookup (and its tenant) is cached per edge process; a revoked key stops working within this time.'),
  OUTPOST_EDGE_SHUTDOWN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600)
    .default(30)
    .describe('On SIGTERM, seconds to let in-flight calls finish before exiting.'),
  OUTPOST_DASHBOARD_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('Directory of the built web dashboard (index.html, assets/). Default: dist of the @outpost/dashboard-web package.'),
  OUTPOST_DASHBOARD_SESSION_HOURS: z.coerce
    .number()
    .int()
    .positive()
    .max(24 * 30)
    .default(12)
    .describe('Hours a dashboard sign-in lasts before the session expires.'),
  OUTPOST_EDGE_PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .describe(
      'The edge\'s public origin (e.g. https://outpost.example.com): the OAuth issuer, and `<it>/mcp` is the resource tokens are bound to. Default: the address it listens on in local mode; in aws mode OAuth sign-in is off (API keys only) until it is set (https).',
    ),
  OUTPOST_OAUTH: z
    .enum(['on', 'off'])
    .default('on')
    .describe('`off` turns the built-in OAuth authorization server off: /mcp takes API keys only.'),
  OUTPOST_API_KEY: z.string().optional().describe('stdio entry (`outpost-mcp`) only: the API key the session acts as.'),
});
export type McpEdgeEnv = z.infer<typeof McpEdgeEnv>;

export interface McpEdgeConfig extends BaseConfig {
  port: number;
  host: string;
  authCacheMs: number;
  shutdownGraceMs: number;
  dashboardDir?: string;
  sessionTtlSeconds: number;
  apiKey?: string;
  /** Set: OAuth sign-in on, with this issuer (local mode: the listen address when absent). */
  publicUrl?: string;
  oauth: boolean;
}

/** Loads the edge's configuration from the environment (throws ConfigError). */
export function loadMcpEdgeConfig(env: Record<string, string | undefined> = process.env): McpEdgeConfig {
  const parsed = parseEnv(McpEdgeEnv.superRefine(checkBaseEnv), env);
  const base = toBaseConfig(parsed);
  return {
    ...base,
    port: parsed.OUTPOST_EDGE_PORT,
    host: parsed.OUTPOST_EDGE_HOST ?? (base.mode === 'local' ? '127.0.0.1' : '0.0.0.0'),
    authCacheMs: parsed.OUTPOST_AUTH_CACHE_SECONDS * 1000,
    shutdownGraceMs: parsed.OUTPOST_EDGE_SHUTDOWN_GRACE_SECONDS * 1000,
    ...(parsed.OUTPOST_DASHBOARD_DIR ? { dashboardDir: parsed.OUTPOST_DASHBOARD_DIR } : {}),
    sessionTtlSeconds: Math.round(parsed.OUTPOST_DASHBOARD_SESSION_HOURS * 3600),
    ...(parsed.OUTPOST_API_KEY ? { apiKey: parsed.OUTPOST_API_KEY } : {}),
    ...(parsed.OUTPOST_EDGE_PUBLIC_URL ? { publicUrl: parsed.OUTPOST_EDGE_PUBLIC_URL } : {}),
    oauth: parsed.OUTPOST_OAUTH === 'on',
  };
}
