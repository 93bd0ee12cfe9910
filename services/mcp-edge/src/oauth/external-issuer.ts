import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { API_KEY_PATTERN, systemClock, type Clock, type Logger } from '@outpost/shared';
import type { AccessTokenVerifier } from '../auth.js';
import { Scope } from './scopes.js';

export interface ExternalIssuerOptions {
  /** The OpenID provider's issuer URL, exactly as its tokens' `iss` say (Cognito, Okta, Auth0…). */
  issuer: string;
  /** The `aud` tokens must carry: this edge's resource URL unless the provider is set up otherwise. */
  audience: string;
  /** The claim holding the Outpost tenant id. */
  tenantClaim: string;
  /** @default the `jwks_uri` of `<issuer>/.well-known/openid-configuration` */
  jwksUrl?: string;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
}

const Discovery = z.object({ issuer: z.string(), jwks_uri: z.string().url() });

// Asymmetric only: a symmetric `alg` would let anyone holding a shared secret mint tokens.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Trusts an external OpenID provider instead of the built-in authorization server: a bearer that
 * is a JWT signed by one of its JWKS keys, for this issuer and audience and not expired, acts
 * for the tenant its `tenantClaim` names, with the Outpost scopes its `scope`/`scp` claim lists.
 */
export class ExternalIssuer implements AccessTokenVerifier {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly clock: Clock;

  constructor(private readonly opts: ExternalIssuerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  async verify(token: string): Promise<{ tenantId: string; scopes: Scope[]; expiresAt: number } | undefined> {
    if (API_KEY_PATTERN.test(token) || token.split('.').length !== 3) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keys(), {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: ALGORITHMS,
        currentDate: this.clock.now(),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      // A bad token is the caller's problem (401); a JWKS that cannot be fetched is ours: log it.
      if (!(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout) this.opts.logger.warn({ err, issuer: this.opts.issuer }, 'external token check failed');
      return undefined;
    }
    const tenantId = payload[this.opts.tenantClaim];
    if (typeof tenantId !== 'string' || !tenantId || payload.exp === undefined) return undefined;
    return { tenantId, scopes: tokenScopes(payload), expiresAt: payload.exp * 1000 };
  }

  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (!this.jwks) {
      const url = this.opts.jwksUrl ?? (await this.discover());
      this.jwks = createRemoteJWKSet(new URL(url));
    }
    return this.jwks;
  }

  private async discover(): Promise<string> {
    const res = await fetch(new URL('.well-known/openid-configuration', this.opts.issuer.endsWith('/') ? this.opts.issuer : `${this.opts.issuer}/`));
    if (!res.ok) throw new Error(`OpenID discovery of ${this.opts.issuer} answered ${res.status}`);
    const doc = Discovery.parse(await res.json());
    if (doc.issuer !== this.opts.issuer) throw new Error(`OpenID discovery names issuer ${doc.issuer}, not ${this.opts.issuer}`);
    return doc.jwks_uri;
  }
}

/** Outpost scopes in a token: OAuth's space-separated `scope`, or Okta/Azure-style `scp` (string or list). */
function tokenScopes(payload: JWTPayload): Scope[] {
  const raw = payload['scope'] ?? payload['scp'];
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return [
    ...new Set(
      list.flatMap((s: unknown) => {
        const parsed = Scope.safeParse(s);
        return parsed.success ? [parsed.data] : [];
      }),
    ),
  ];
}
