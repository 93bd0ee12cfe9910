import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../src/core/ids.js';
import { resourceNames } from '../src/aws/resources.js';
import { ApiKeyNotFoundError, TenantNotFoundError, TenantStore } from '../src/stores/tenant-store.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';

let db: TestDynamo;
let tenants: TenantStore;
let apiKeysTable: string;

beforeAll(async () => {
  db = await startTestDynamo();
  const names = resourceNames(db.prefix);
  apiKeysTable = names.tables.apiKeys;
  tenants = new TenantStore({ tenantsTable: names.tables.tenants, apiKeysTable, doc: db.clients.doc });
});
afterAll(async () => {
  await db?.stop();
});

describe('TenantStore', () => {
  it('creates and reads a tenant; setTier changes it; a missing tenant is TenantNotFoundError', async () => {
    const t = await tenants.createTenant({ name: 'acme', tier: 'free' });
    expect(t.tenantId).toMatch(/^ten_/);
    expect(await tenants.getTenant(t.tenantId)).toEqual(t);
    expect((await tenants.setTier(t.tenantId, 'pro')).tier).toBe('pro');
    await expect(tenants.setTier('ten_missing', 'pro')).rejects.toBeInstanceOf(TenantNotFoundError);
    await expect(tenants.createTenant({ name: 'again', tier: 'free', tenantId: t.tenantId })).rejects.toThrow();
  });

  it('stores API keys only as SHA-256 hashes', async () => {
    const t = await tenants.createTenant({ name: 'hash', tier: 'pro' });
    const { apiKey, record } = await tenants.createApiKey(t.tenantId);
    expect(apiKey).toMatch(/^op_live_/);
    expect(record.keyHash).toBe(sha256Hex(apiKey));
    const raw = await db.clients.doc.send(new GetCommand({ TableName: apiKeysTable, Key: { keyHash: sha256Hex(apiKey) } }));
    expect(raw.Item).toBeDefined();
    const serialized = JSON.stringify(raw.Item);
    expect(serialized).not.toContain(apiKey);
    expect(serialized).not.toContain(apiKey.slice(12)); // the secret part appears nowhere
    // and nothing in the table is keyed by the plain key
    const byKey = await db.clients.doc.send(new GetCommand({ TableName: apiKeysTable, Key: { keyHash: apiKey } }));
    expect(byKey.Item).toBeUndefined();
    const listed = await db.clients.doc.send(
      new QueryCommand({ TableName: apiKeysTable, IndexName: 'byTenant', KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': t.tenantId } }),
    );
    expect(JSON.stringify(listed.Items)).not.toContain(apiKey);
  });

  it('resolves a key to its tenant; revoking (by key or by hash) stops it', async () => {
    const t = await tenants.createTenant({ name: 'resolve', tier: 'pro' });
    const a = await tenants.createApiKey(t.tenantId);
    const b = await tenants.createApiKey(t.tenantId, 'test');
    expect((await tenants.resolveApiKey(a.apiKey))?.tenantId).toBe(t.tenantId);
    expect((await tenants.resolveApiKey(b.apiKey))?.tenantId).toBe(t.tenantId);
    const revoked = await tenants.revokeApiKey(a.apiKey);
    expect(revoked.revokedAt).toBeDefined();
    expect(await tenants.resolveApiKey(a.apiKey)).toBeUndefined();
    expect(await tenants.resolveApiKey(b.apiKey)).toBeDefined();
    await tenants.revokeApiKey(b.record.keyHash);
    expect(await tenants.resolveApiKey(b.apiKey)).toBeUndefined();
    // revoking twice keeps the first time
    expect((await tenants.revokeApiKey(a.apiKey)).revokedAt).toBe(revoked.revokedAt);
    expect(await tenants.listApiKeys(t.tenantId)).toHaveLength(2);
  });

  it('revoking an unknown key fails', async () => {
    await expect(tenants.revokeApiKey('op_live_' + 'x'.repeat(32))).rejects.toBeInstanceOf(ApiKeyNotFoundError);
  });

  it.each(['', 'op_live_short', 'bearer op_live_' + 'a'.repeat(32), 'op_prod_' + 'a'.repeat(32), 'op_live_' + 'a'.repeat(31) + '!', 'x'.repeat(5000)])(
    'a malformed key %# resolves to undefined',
    async (key) => {
      expect(await tenants.resolveApiKey(key)).toBeUndefined();
    },
  );

  it('a well-formed unknown key resolves to undefined', async () => {
    expect(await tenants.resolveApiKey('op_live_' + 'Z'.repeat(32))).toBeUndefined();
  });
});
