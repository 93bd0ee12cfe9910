import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Clock, Logger, TenantStore } from '@outpost/shared';
import { SECURITY_HEADERS } from '../dashboard/headers.js';
import type { OAuthStore } from './oauth-store.js';
import { OutpostOAuthProvider, type OAuthLifetimes } from './provider.js';
import { ALL_SCOPES } from './scopes.js';
import { SIGN_IN_PATH, SignInPage } from './sign-in.js';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

// Every path the authorization server answers (the SDK's router mounts the first five).
const PATHS = ['/authorize', '/token', '/register', '/revoke', '/.well-known/oauth-authorization-server', SIGN_IN_PATH];

export interface OAuthServerOptions {
  store: OAuthStore;
  tenants: Pick<TenantStore, 'resolveApiKey' | 'getTenant'>;
  /** The edge's public origin: the issuer, and `<origin>/mcp` is the protected resource. */
  publicUrl: URL;
  logger: Logger;
  clock?: Clock;
  secureCookie: boolean;
  lifetimes?: Partial<OAuthLifetimes>;
}

/**
 * The edge's authorization server (RFC 8414 metadata, RFC 7591 registration, authorize with PKCE
 * S256, token, RFC 7009 revocation) and its protected-resource metadata (RFC 9728), built from the
 * MCP SDK's express handlers and mounted inside the edge's own HTTP server.
 */
export class OAuthServer {
  readonly provider: OutpostOAuthProvider;
  readonly resource: URL;
  readonly resourceMetadataUrl: string;
  private readonly app: Express;

  constructor(opts: OAuthServerOptions) {
    this.resource = new URL('/mcp', opts.publicUrl);
    this.resourceMetadataUrl = new URL(PROTECTED_RESOURCE_PATH, opts.publicUrl).href;
    const page: SignInPage = new SignInPage({
      store: opts.store,
      tenants: opts.tenants,
      issueCode: (input) => this.provider.issueCode(input),
      logger: opts.logger,
      secureCookie: opts.secureCookie,
    });
    this.provider = new OutpostOAuthProvider({
      store: opts.store,
      resource: this.resource,
      page,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.lifetimes ? { lifetimes: opts.lifetimes } : {}),
    });
    const app = express();
    app.disable('x-powered-by');
    app.use((_req: Request, res: Response, next: NextFunction) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      next();
    });
    app.use(
      mcpAuthRouter({
        provider: this.provider,
        issuerUrl: opts.publicUrl,
        resourceServerUrl: this.resource,
        scopesSupported: [...ALL_SCOPES],
        resourceName: 'Outpost',
      }),
    );
    // RFC 9728 names `/.well-known/oauth-protected-resource/mcp`; the 401's header names this one.
    const metadata: OAuthProtectedResourceMetadata = {
      resource: this.resource.href,
      authorization_servers: [opts.publicUrl.href],
      scopes_supported: [...ALL_SCOPES],
      resource_name: 'Outpost',
      bearer_methods_supported: ['header'],
    };
    app.use(PROTECTED_RESOURCE_PATH, metadataHandler(metadata));
    app.use(SIGN_IN_PATH, page.router());
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      opts.logger.error({ err }, 'oauth request failed');
      if (!res.headersSent) res.status(500).json({ error: 'server_error', error_description: 'Internal Server Error' });
    });
    this.app = app;
  }

  owns(path: string): boolean {
    return PATHS.includes(path) || path === PROTECTED_RESOURCE_PATH || path.startsWith(`${PROTECTED_RESOURCE_PATH}/`);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.app(req as Request, res as Response);
  }
}
