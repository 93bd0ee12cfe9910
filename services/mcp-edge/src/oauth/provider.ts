import type { Response } from 'express';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { InvalidGrantError, InvalidScopeError, InvalidTargetError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { newToken, systemClock, type Clock, type TenantStore } from '@outpost/shared';
import type { GrantRecord, OAuthStore } from './oauth-store.js';
import { grantScopes, type Scope } from './scopes.js';
import type { SignInPage } from './sign-in.js';

/** How long each secret lives. */
export interface OAuthLifetimes {
  /** @default 60_000 */
  codeMs: number;
  /** @default 3_600_000 */
  accessMs: number;
  /** @default 30 days */
  refreshMs: number;
  /** How long a sign-in page stays usable. @default 600_000 */
  pendingMs: number;
}

export const DEFAULT_LIFETIMES: OAuthLifetimes = { codeMs: 60_000, accessMs: 3_600_000, refreshMs: 30 * 86_400_000, pendingMs: 600_000 };

// Prefixes tell the edge's secrets apart at a glance (and from API keys, `op_live_…`).
const PREFIX = { code: 'opoc_', access: 'opoa_', refresh: 'opor_' } as const;

/** Whether a bearer value is shaped like one of this server's access tokens. */
export const isAccessTokenShaped = (token: string) => token.startsWith(PREFIX.access);

export interface OutpostOAuthProviderOptions {
  store: OAuthStore;
  /** Where the signing-in API key is checked again: a revoked key ends its sign-ins. */
  tenants: Pick<TenantStore, 'getApiKey'>;
  /** The protected resource, `<edge>/mcp`: every grant is bound to it (RFC 8707). */
  resource: URL;
  page: SignInPage;
  /** @default DEFAULT_LIFETIMES */
  lifetimes?: Partial<OAuthLifetimes>;
  /** @default systemClock */
  clock?: Clock;
}

/** Who an access token acts for. */
export interface TokenGrant {
  tenantId: string;
  scopes: Scope[];
  expiresAt: number;
}

/**
 * The edge's built-in authorization server, behind the MCP SDK's handlers (which parse requests,
 * check PKCE S256 and answer errors): clients are public (PKCE, no secret to keep), codes and
 * tokens are stored hashed, and a spent code or refresh token presented again revokes its family.
 */
export class OutpostOAuthProvider implements OAuthServerProvider {
  readonly clientsStore: OAuthRegisteredClientsStore;
  private readonly life: OAuthLifetimes;
  private readonly clock: Clock;

  constructor(private readonly opts: OutpostOAuthProviderOptions) {
    this.life = { ...DEFAULT_LIFETIMES, ...opts.lifetimes };
    this.clock = opts.clock ?? systemClock;
    const { store } = opts;
    this.clientsStore = {
      getClient: (id) => store.getClient(id),
      // Public clients only: a secret the SDK would compare in the clear is dropped, PKCE protects the code.
      registerClient: async (metadata) => {
        const { client_secret: _secret, client_secret_expires_at: _expires, ...rest } = metadata as OAuthClientInformationFull;
        const client: OAuthClientInformationFull = { ...rest, token_endpoint_auth_method: 'none' };
        await store.putClient(client);
        return client;
      },
    };
  }

  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    // The SDK lets a loopback redirect differ in port (RFC 8252); Outpost matches exactly, and says so
    // on the page rather than redirecting to a URI nobody registered.
    if (!client.redirect_uris.includes(params.redirectUri)) {
      res.status(400).json({ error: 'invalid_request', error_description: 'redirect_uri does not exactly match a registered one' });
      return;
    }
    const scopes = grantScopes(params.scopes);
    if (!scopes) throw new InvalidScopeError('scope must be made of runs:read, runs:write and promote');
    if (params.resource && params.resource.href !== this.opts.resource.href) throw new InvalidTargetError(`resource must be ${this.opts.resource.href}`);
    await this.opts.page.start(res, {
      client,
      pending: {
        clientId: client.client_id,
        redirectUri: params.redirectUri,
        codeChallenge: params.codeChallenge,
        scopes,
        ...(params.state !== undefined ? { state: params.state } : {}),
        resource: this.opts.resource.href,
        expiresAt: this.now() + this.life.pendingMs,
      },
      ttlSeconds: Math.floor(this.life.pendingMs / 1000),
    });
  }

  /** Called by the sign-in page once the person's API key checked out: the code to redirect with. */
  async issueCode(input: { clientId: string; tenantId: string; keyHash: string; scopes: Scope[]; codeChallenge: string; redirectUri: string; resource: string }): Promise<string> {
    const code = PREFIX.code + newToken(32);
    await this.opts.store.putGrant('code', code, { ...input, family: newToken(16), expiresAt: this.now() + this.life.codeMs });
    return code;
  }

  async challengeForAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<string> {
    const record = await this.liveCode(client, code);
    if (!record.codeChallenge) throw new InvalidGrantError('invalid authorization code');
    return record.codeChallenge;
  }

  async exchangeAuthorizationCode(client: OAuthClientInformationFull, code: string, _verifier?: string, redirectUri?: string, resource?: URL): Promise<OAuthTokens> {
    const record = await this.liveCode(client, code);
    if (redirectUri !== undefined && redirectUri !== record.redirectUri) throw new InvalidGrantError('redirect_uri differs from the authorization request');
    if (resource && resource.href !== record.resource) throw new InvalidTargetError(`resource must be ${record.resource}`);
    if (!(await this.opts.store.markUsed('code', code))) {
      // OAuth 2.1 §4.1.2: a code used twice revokes what the first use got.
      await this.opts.store.revokeFamily(record.family);
      throw new InvalidGrantError('authorization code already used');
    }
    return this.issueTokens(record, record.scopes);
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string, scopes?: string[], resource?: URL): Promise<OAuthTokens> {
    const { store } = this.opts;
    const record = await store.getGrant('refresh', refreshToken);
    if (!record || record.clientId !== client.client_id || record.revokedAt || record.expiresAt <= this.now() || !(await this.live(record))) {
      throw new InvalidGrantError('refresh token is invalid, expired or revoked');
    }
    if (resource && resource.href !== record.resource) throw new InvalidTargetError(`resource must be ${record.resource}`);
    const narrowed = scopes?.length ? grantScopes(scopes) : record.scopes;
    if (!narrowed || narrowed.some((s) => !record.scopes.includes(s))) throw new InvalidScopeError('a refresh can only keep or narrow the granted scopes');
    if (record.usedAt !== undefined || !(await store.markUsed('refresh', refreshToken))) {
      // Rotation: a refresh token works once. A second use means it leaked; end the whole sign-in.
      await store.revokeFamily(record.family);
      throw new InvalidGrantError('refresh token already used; this sign-in is revoked');
    }
    return this.issueTokens(record, narrowed);
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const grant = await this.verify(token);
    if (!grant) throw new InvalidTokenError('access token is invalid, expired or revoked');
    return { token, clientId: grant.clientId, scopes: grant.scopes, expiresAt: Math.floor(grant.expiresAt / 1000), resource: new URL(grant.resource), extra: { tenantId: grant.tenantId } };
  }

  /** The grant of a live access token for this resource, or undefined. */
  async verify(token: string): Promise<GrantRecord | undefined> {
    if (!isAccessTokenShaped(token)) return undefined;
    const record = await this.opts.store.getGrant('access', token);
    if (!record || record.revokedAt || record.expiresAt <= this.now()) return undefined;
    if (record.resource !== this.opts.resource.href) return undefined; // another server's token (RFC 8707)
    return (await this.live(record)) ? record : undefined;
  }

  /** Neither the sign-in (family) nor the API key it was made with has been revoked. */
  private async live(record: GrantRecord): Promise<boolean> {
    if (await this.opts.store.familyRevoked(record.family)) return false;
    const key = await this.opts.tenants.getApiKey(record.keyHash);
    return key !== undefined && !key.revokedAt && key.tenantId === record.tenantId;
  }

  /** RFC 7009: revoking either token of a sign-in ends the sign-in (both tokens). */
  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    for (const kind of ['access', 'refresh'] as const) {
      const record = await this.opts.store.getGrant(kind, request.token);
      if (record && record.clientId === client.client_id) {
        await this.opts.store.revokeGrant(kind, request.token);
        await this.opts.store.revokeFamily(record.family);
        return;
      }
    }
  }

  private async liveCode(client: OAuthClientInformationFull, code: string): Promise<GrantRecord> {
    const record = await this.opts.store.getGrant('code', code);
    if (!record || record.clientId !== client.client_id || record.expiresAt <= this.now()) throw new InvalidGrantError('invalid or expired authorization code');
    if (record.usedAt !== undefined) {
      await this.opts.store.revokeFamily(record.family);
      throw new InvalidGrantError('authorization code already used');
    }
    return record;
  }

  private async issueTokens(from: GrantRecord, scopes: Scope[]): Promise<OAuthTokens> {
    const access = PREFIX.access + newToken(32);
    const refresh = PREFIX.refresh + newToken(32);
    const base = { clientId: from.clientId, tenantId: from.tenantId, keyHash: from.keyHash, scopes, resource: from.resource, family: from.family };
    await this.opts.store.putGrant('access', access, { ...base, expiresAt: this.now() + this.life.accessMs });
    await this.opts.store.putGrant('refresh', refresh, { ...base, expiresAt: this.now() + this.life.refreshMs });
    return { access_token: access, token_type: 'Bearer', expires_in: Math.floor(this.life.accessMs / 1000), refresh_token: refresh, scope: scopes.join(' ') };
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
