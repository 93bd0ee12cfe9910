import { parameterPaths, SecretName, systemClock, type Clock, type ParameterStore } from '@outpost/shared';

/** Which BYOK secrets a tenant has stored, by name only. */
export interface SecretNameSource {
  /** The names the tenant stored; `fresh` reads past the cache. */
  stored(tenantId: string, options?: { fresh?: boolean }): Promise<ReadonlySet<SecretName>>;
}

export interface StoredSecretNamesOptions {
  /** The tenants' secrets (SSM in aws mode, `.outpost/secrets.json` locally). */
  params: ParameterStore;
  /** The environment of the SSM paths (`/outpost/{env}/tenants/…`). */
  env: string;
  /** How long a read is reused. @default 15_000 */
  ttlMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Bound on cached tenants; the cache is cleared when it fills. @default 10_000 */
  maxEntries?: number;
}

/**
 * Secret names from the parameter store's `names()`: no value is read or decrypted at the edge.
 * Reads are cached briefly so a burst of dispatches is not a burst of SSM calls; a caller about
 * to refuse reads fresh, so a secret stored a moment ago is never reported missing.
 */
export class StoredSecretNames implements SecretNameSource {
  private readonly cache = new Map<string, { names: ReadonlySet<SecretName>; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(private readonly options: StoredSecretNamesOptions) {
    this.ttlMs = options.ttlMs ?? 15_000;
    this.clock = options.clock ?? systemClock;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  async stored(tenantId: string, { fresh = false }: { fresh?: boolean } = {}): Promise<ReadonlySet<SecretName>> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(tenantId);
    if (!fresh && hit && hit.expiresAt > now) return hit.names;
    const prefix = parameterPaths.tenantSecrets(this.options.env, tenantId);
    const names = new Set<SecretName>();
    for (const full of await this.options.params.names(prefix)) {
      const parsed = SecretName.safeParse(full.slice(prefix.length));
      if (full.startsWith(prefix) && parsed.success) names.add(parsed.data);
    }
    if (this.ttlMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(tenantId, { names, expiresAt: now + this.ttlMs });
    }
    return names;
  }
}
