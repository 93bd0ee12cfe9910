import { API_KEY_PATTERN, sha256Hex, systemClock, type Clock, type TenantStore, type TierName } from '@outpost/shared';
import type { Scope } from './oauth/scopes.js';

/** Who a call acts for, once its API key (or OAuth access token) resolved. */
export interface TenantContext {
  tenantId: string;
  tier: TierName;
  /** An OAuth token's scopes; absent for an API key, which may do everything. */
  scopes?: readonly Scope[];
}

interface Entry {
  value: TenantContext | undefined;
  expiresAt: number;
}

interface Resolved {
  context: TenantContext;
  expiresAt?: number;
}

/** Resolves an OAuth access token (the edge's own authorization server, or an external one). */
export interface AccessTokenVerifier {
  verify(token: string): Promise<{ tenantId: string; scopes: Scope[]; expiresAt: number } | undefined>;
}

export interface AuthenticatorOptions {
  tenants: TenantStore;
  /** How long a lookup is trusted; a revoked key keeps working at most this long. @default 15_000 */
  ttlMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Bound on cached keys; the cache is cleared when it fills. @default 10_000 */
  maxEntries?: number;
}

// Unknown keys are cached too (so a flood of bad keys does not become a flood of reads), but
// briefly, so a key created a moment ago works almost at once.
const NEGATIVE_TTL_MS = 2_000;

/**
 * Bearer API key (or OAuth access token) → tenant and tier, with a short in-process cache keyed by its hash
 * (never the key). Two reads on a miss: the api-keys item, then the tenant item for its tier.
 */
export class Authenticator {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Resolved | undefined>>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private tokens: AccessTokenVerifier | undefined;

  constructor(private readonly options: AuthenticatorOptions) {
    this.ttlMs = options.ttlMs ?? 15_000;
    this.clock = options.clock ?? systemClock;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Accepts OAuth access tokens too (set once the edge knows its public URL). */
  useTokens(verifier: AccessTokenVerifier): void {
    this.tokens = verifier;
  }

  /** The tenant of an `Authorization` header value, or undefined (missing, malformed, unknown, revoked). */
  async fromHeader(header: string | undefined): Promise<TenantContext | undefined> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return undefined;
    return this.resolve(match[1]);
  }

  /** The tenant of an API key, or undefined. */
  async resolve(apiKey: string): Promise<TenantContext | undefined> {
    const hash = sha256Hex(apiKey);
    const now = this.clock.now().getTime();
    const hit = this.cache.get(hash);
    if (hit && hit.expiresAt > now) return hit.value;
    let pending = this.inflight.get(hash);
    if (!pending) {
      pending = this.lookup(apiKey).finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, pending);
    }
    const value = await pending;
    if (this.ttlMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      const until = now + (value ? this.ttlMs : Math.min(this.ttlMs, NEGATIVE_TTL_MS));
      this.cache.set(hash, { value: value?.context, expiresAt: value?.expiresAt ? Math.min(until, value.expiresAt) : until });
    }
    return value?.context;
  }

  private async lookup(bearer: string): Promise<Resolved | undefined> {
    const grant = this.tokens && !API_KEY_PATTERN.test(bearer) ? await this.tokens.verify(bearer) : undefined;
    const tenantId = grant?.tenantId ?? (await this.options.tenants.resolveApiKey(bearer))?.tenantId;
    if (!tenantId) return undefined;
    const tenant = await this.options.tenants.getTenant(tenantId);
    if (!tenant) return undefined;
    if (!grant) return { context: { tenantId: tenant.tenantId, tier: tenant.tier } };
    // A token is cached no longer than it lives.
    return { context: { tenantId: tenant.tenantId, tier: tenant.tier, scopes: grant.scopes }, expiresAt: grant.expiresAt };
  }
}
