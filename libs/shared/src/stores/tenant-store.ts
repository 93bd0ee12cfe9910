import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../core/clock.js';
import { isConditionalCheckFailed } from '../core/errors.js';
import { newTenantId, newToken, sha256Hex } from '../core/ids.js';
import { API_KEY_PATTERN, ApiKeyRecord, Tenant } from '../schemas/tenant.js';
import type { TierName } from '../config/tiers.js';

export class TenantNotFoundError extends Error {
  override readonly name = 'TenantNotFoundError';
  constructor(
    readonly tenantId: string,
    options?: ErrorOptions,
  ) {
    super(`tenant ${tenantId} not found`, options);
  }
}

/** No API key with that hash exists. */
export class ApiKeyNotFoundError extends Error {
  override readonly name = 'ApiKeyNotFoundError';
  constructor(
    readonly keyHash: string,
    options?: ErrorOptions,
  ) {
    super('no such API key', options);
  }
}

export interface TenantStoreOptions {
  tenantsTable: string;
  apiKeysTable: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
}

/** Tenants and their API keys. Keys are stored only as SHA-256 hashes. */
export class TenantStore {
  private readonly opts: Required<TenantStoreOptions>;

  constructor(options: TenantStoreOptions) {
    this.opts = { clock: systemClock, ...options };
  }

  async createTenant(input: { name: string; tier: TierName; tenantId?: string }): Promise<Tenant> {
    const tenant = Tenant.parse({
      tenantId: input.tenantId ?? newTenantId(),
      name: input.name,
      tier: input.tier,
      createdAt: this.opts.clock.now().toISOString(),
    });
    await this.opts.doc.send(
      new PutCommand({ TableName: this.opts.tenantsTable, Item: tenant, ConditionExpression: 'attribute_not_exists(tenantId)' }),
    );
    return tenant;
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const out = await this.opts.doc.send(new GetCommand({ TableName: this.opts.tenantsTable, Key: { tenantId }, ConsistentRead: true }));
    return out.Item ? Tenant.parse(out.Item) : undefined;
  }

  /** Changes a tenant's tier; limits apply from the next dispatch. */
  async setTier(tenantId: string, tier: TierName): Promise<Tenant> {
    try {
      const out = await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tenantsTable,
          Key: { tenantId },
          UpdateExpression: 'SET tier = :tier, updatedAt = :now',
          ConditionExpression: 'attribute_exists(tenantId)',
          ExpressionAttributeValues: { ':tier': tier, ':now': this.opts.clock.now().toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Tenant.parse(out.Attributes);
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new TenantNotFoundError(tenantId, { cause: err });
      throw err;
    }
  }

  /** Creates a key for the tenant; the key itself is returned once and never stored. */
  async createApiKey(tenantId: string, kind: 'live' | 'test' = 'live'): Promise<{ apiKey: string; record: ApiKeyRecord }> {
    const apiKey = `op_${kind}_${newToken(24)}`;
    const record = ApiKeyRecord.parse({
      keyHash: sha256Hex(apiKey),
      tenantId,
      prefix: apiKey.slice(0, 12),
      createdAt: this.opts.clock.now().toISOString(),
    });
    await this.opts.doc.send(
      new PutCommand({ TableName: this.opts.apiKeysTable, Item: record, ConditionExpression: 'attribute_not_exists(keyHash)' }),
    );
    return { apiKey, record };
  }

  /** The tenant a key belongs to, or undefined when the key is malformed, unknown or revoked. */
  async resolveApiKey(apiKey: string): Promise<{ tenantId: string; record: ApiKeyRecord } | undefined> {
    if (!API_KEY_PATTERN.test(apiKey)) return undefined;
    const out = await this.opts.doc.send(
      new GetCommand({ TableName: this.opts.apiKeysTable, Key: { keyHash: sha256Hex(apiKey) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const record = ApiKeyRecord.parse(out.Item);
    if (record.revokedAt) return undefined;
    return { tenantId: record.tenantId, record };
  }

  /** A key's record by its hash (revoked ones too), or undefined. */
  async getApiKey(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.opts.doc.send(new GetCommand({ TableName: this.opts.apiKeysTable, Key: { keyHash }, ConsistentRead: true }));
    return out.Item ? ApiKeyRecord.parse(out.Item) : undefined;
  }

  /** Revokes a key, given the key itself or its SHA-256 hash. */
  async revokeApiKey(keyOrHash: string): Promise<ApiKeyRecord> {
    const keyHash = /^[0-9a-f]{64}$/.test(keyOrHash) ? keyOrHash : sha256Hex(keyOrHash);
    const out = await this.opts.doc.send(
      new UpdateCommand({
        TableName: this.opts.apiKeysTable,
        Key: { keyHash },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ConditionExpression: 'attribute_exists(keyHash)',
        ExpressionAttributeValues: { ':now': this.opts.clock.now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    ).catch((err: unknown) => {
      if (isConditionalCheckFailed(err)) throw new ApiKeyNotFoundError(keyHash, { cause: err });
      throw err;
    });
    return ApiKeyRecord.parse(out.Attributes);
  }

  /** A tenant's keys (hashes and prefixes only), from the byTenant index. */
  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const out = await this.opts.doc.send(
      new QueryCommand({
        TableName: this.opts.apiKeysTable,
        IndexName: 'byTenant',
        KeyConditionExpression: 'tenantId = :t',
        ExpressionAttributeValues: { ':t': tenantId },
      }),
    );
    return (out.Items ?? []).map((i) => ApiKeyRecord.parse(i));
  }
}
