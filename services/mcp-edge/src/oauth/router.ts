import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Clock, Logger, TenantStore } from '@outpost/shared';
import type { AccessTokenVerifier } from '../auth.js';
import { SECURITY_HEADERS } from '../dashboard/headers.js';
import { ExternalIssuer } from './external-issuer.js';
import type { OAuthStore } from './oauth-store.js';
import { OutpostOAuthProvider, type OAuthLifetimes } from './provider.js';
import { ALL_SCOPES } from './scopes.js';
import { SIGN_IN_PATH, SignInPage } from './sign-in.js';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

// Every path the authorization server answers (the SDK's router mounts the first five).
const PATHS = ['/authorize', '/token', '/register', '/revoke', '/.well-known/oauth-authorization-server', SIGN_IN_PATH];

export interface OAuthServerOptions {
  store: OAuthStore;
  tenants: Pick<TenantStore, 'resolveApiKey' | 'getTenant' | 'getApiKey'>;
  /** The edge's public origin: the issuer, and `<origin>/mcp` is the protected resource. */
  publicUrl: URL;
  logger: Logger;
  clock?: Clock;
  secureCookie: boolean;
  /** One proxy hop (the load balancer) in front. */
  behindProxy?: boolean;
  lifetimes?: Partial<OAuthLifetimes>;
  /** Trust this OpenID provider instead of the built-in server (which then answers nothing). */
  external?: { issuer: string; tenantClaim: string; audience?: string; jwksUrl?: string };
}

/**
 * The edge's authorization server (RFC 8414 metadata, RFC 7591 registration, authorize with PKCE
 * S256, token, RFC 7009 revocation) and its protected-resource metadata (RFC 9728), built from the
 * MCP SDK's express handlers and mounted inside the edge's own HTTP server.
 */
export class OAuthServer {
  /** How /mcp checks a bearer that is not an API key. */
  readonly verifier: AccessTokenVerifier;
  readonly resource: URL;
  readonly resourceMetadataUrl: string;
  private readonly app: Express;
  private readonly builtIn: boolean;

  constructor(opts: OAuthServerOptions) {
    this.resource = new URL('/mcp', opts.publicUrl);
    this.resourceMetadataUrl = new URL(PROTECTED_RESOURCE_PATH, opts.publicUrl).href;
    const app = express();
    app.disable('x-powered-by');
    // Behind the load balancer (aws mode) the client's address is its X-Forwarded-For entry: the
    // rate limits count per client, not all clients as the balancer's one address.
    if (opts.behindProxy) app.set('trust proxy', 1);
    app.use((_req: Request, res: Response, next: NextFunction) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      next();
    });
    const { external } = opts;
    this.builtIn = !external;
    if (external) {
      this.verifier = new ExternalIssuer({
        issuer: external.issuer,
        audience: external.audience ?? this.resource.href,
        tenantClaim: external.tenantClaim,
        ...(external.jwksUrl ? { jwksUrl: external.jwksUrl } : {}),
        logger: opts.logger,
        ...(opts.clock ? { clock: opts.clock } : {}),
      });
    } else {
      this.verifier = this.mountBuiltIn(app, opts);
    }
    // RFC 9728 names `/.well-known/oauth-protected-resource/mcp`; the 401's header names this one.
    const metadata: OAuthProtectedResourceMetadata = {
      resource: this.resource.href,
      authorization_servers: [external ? external.issuer : opts.publicUrl.href],
      scopes_supported: [...ALL_SCOPES],
      resource_name: 'Outpost',
      bearer_methods_supported: ['header'],
    };
    app.use(PROTECTED_RESOURCE_PATH, metadataHandler(metadata));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      opts.logger.error({ err }, 'oauth request failed');
      if (!res.headersSent) res.status(500).json({ error: 'server_error', error_description: 'Internal Server Error' });
    });
    this.app = app;
  }

  owns(path: string): boolean {
    if (path === PROTECTED_RESOURCE_PATH || path.startsWith(`${PROTECTED_RESOURCE_PATH}/`)) return true;
    return this.builtIn && PATHS.includes(path);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.app(req as Request, res as Response);
  }

  /** The SDK's authorization server endpoints and the sign-in page; returns the token verifier. */
  private mountBuiltIn(app: Express, opts: OAuthServerOptions): OutpostOAuthProvider {
    // The page mints codes through the provider, which renders the page: one refers to the other lazily.
    let provider: OutpostOAuthProvider | undefined;
    const page: SignInPage = new SignInPage({
      store: opts.store,
      tenants: opts.tenants,
      issueCode: (input) => {
        if (!provider) throw new Error('the OAuth provider is not built yet');
        return provider.issueCode(input);
      },
      logger: opts.logger,
      secureCookie: opts.secureCookie,
    });
    provider = new OutpostOAuthProvider({
      store: opts.store,
      tenants: opts.tenants,
      resource: this.resource,
      page,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.lifetimes ? { lifetimes: opts.lifetimes } : {}),
    });
    app.use(
      mcpAuthRouter({
        provider,
        issuerUrl: opts.publicUrl,
        resourceServerUrl: this.resource,
        scopesSupported: [...ALL_SCOPES],
        resourceName: 'Outpost',
      }),
    );
    app.use(SIGN_IN_PATH, page.router());
    return provider;
  }
}
