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
  OUTPOST_OAUTH_ISSUER: z
    .string()
    .url()
    .optional()
    .describe(
      'Trust this external OpenID provider (Cognito, Okta, Auth0: its issuer URL, as in its tokens\' `iss`) instead of the built-in authorization server: /mcp accepts its JWTs, checked against its JWKS.',
    ),
  OUTPOST_OAUTH_TENANT_CLAIM: z
    .string()
    .min(1)
    .default('outpost_tenant')
    .describe('With OUTPOST_OAUTH_ISSUER: the JWT claim that holds the Outpost tenant id (e.g. `custom:outpost_tenant` in Cognito).'),
  OUTPOST_OAUTH_AUDIENCE: z
    .string()
    .min(1)
    .optional()
    .describe('With OUTPOST_OAUTH_ISSUER: the `aud` its tokens must carry. Default: the edge\'s resource URL, `<OUTPOST_EDGE_PUBLIC_URL>/mcp`.'),
  OUTPOST_OAUTH_JWKS_URL: z
    .string()
    .url()
    .optional()
    .describe('With OUTPOST_OAUTH_ISSUER: where its signing keys are. Default: `jwks_uri` of its `/.well-known/openid-configuration`.'),
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
  /** An external OpenID provider trusted instead of the built-in authorization server. */
  externalIssuer?: ExternalIssuerConfig;
}

export interface ExternalIssuerConfig {
  issuer: string;
  tenantClaim: string;
  audience?: string;
  jwksUrl?: string;
}

/** The issuer and resource must be https off loopback (RFC 8414; the SDK refuses to start otherwise). */
function checkOAuthEnv(env: McpEdgeEnv, ctx: z.RefinementCtx): void {
  for (const key of ['OUTPOST_EDGE_PUBLIC_URL', 'OUTPOST_OAUTH_ISSUER'] as const) {
    const value = env[key];
    if (!value) continue;
    const url = new URL(value);
    if (url.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be an https URL (http only on localhost)' });
    }
    if (url.search || url.hash) ctx.addIssue({ code: 'custom', path: [key], message: 'must have no query or fragment' });
  }
}

/** Loads the edge's configuration from the environment (throws ConfigError). */
export function loadMcpEdgeConfig(env: Record<string, string | undefined> = process.env): McpEdgeConfig {
  const parsed = parseEnv(McpEdgeEnv.superRefine(checkBaseEnv).superRefine(checkOAuthEnv), env);
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
    ...(parsed.OUTPOST_OAUTH_ISSUER
      ? {
          externalIssuer: {
            issuer: parsed.OUTPOST_OAUTH_ISSUER,
            tenantClaim: parsed.OUTPOST_OAUTH_TENANT_CLAIM,
            ...(parsed.OUTPOST_OAUTH_AUDIENCE ? { audience: parsed.OUTPOST_OAUTH_AUDIENCE } : {}),
            ...(parsed.OUTPOST_OAUTH_JWKS_URL ? { jwksUrl: parsed.OUTPOST_OAUTH_JWKS_URL } : {}),
          },
        }
      : {}),
  };
}
