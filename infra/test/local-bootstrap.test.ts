import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { openStores, silentLogger, type Stores } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { ensureLocalTenant, localJsonPath } from '../src/local/index.js';

let home: string;
let stack: TestStack;
let stores: Stores;

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'outpost-boot-'));
  stack = await startTestStack({ home });
  stores = openStores(stack.config, stack.clients);
});
afterAll(async () => {
  await stack?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('ensureLocalTenant()', () => {
  it('creates a tenant and key on first start, reuses them after, and issues a new key when the old one stops resolving', async () => {
    const dir = path.join(home, 'a');
    const first = await ensureLocalTenant(stores.tenants, dir, 'http://127.0.0.1:1/mcp', silentLogger);
    expect(first).toMatchObject({ created: true, keyCreated: true });
    expect((await stores.tenants.resolveApiKey(first.apiKey))?.tenantId).toBe(first.tenantId);
    const again = await ensureLocalTenant(stores.tenants, dir, 'http://127.0.0.1:2/mcp', silentLogger);
    expect(again).toMatchObject({ created: false, keyCreated: false, tenantId: first.tenantId, apiKey: first.apiKey, mcpUrl: 'http://127.0.0.1:2/mcp' });
    await stores.tenants.revokeApiKey(first.apiKey);
    const rekeyed = await ensureLocalTenant(stores.tenants, dir, 'http://127.0.0.1:2/mcp', silentLogger);
    expect(rekeyed).toMatchObject({ created: false, keyCreated: true, tenantId: first.tenantId });
    expect(rekeyed.apiKey).not.toBe(first.apiKey);
    expect(JSON.parse(await readFile(localJsonPath(dir), 'utf8'))).toEqual({ mcpUrl: rekeyed.mcpUrl, apiKey: rekeyed.apiKey, tenantId: rekeyed.tenantId });
  });

  it('writes local.json with mode 0600 even over a file that was world-readable; a corrupt file means a new tenant', async () => {
    const dir = path.join(home, 'b');
    await ensureLocalTenant(stores.tenants, dir, 'http://127.0.0.1:1/mcp', silentLogger);
    await chmod(localJsonPath(dir), 0o644);
    await ensureLocalTenant(stores.tenants, dir, 'http://127.0.0.1:1/mcp', silentLogger);
    expect((await stat(localJsonPath(dir))).mode & 0o777).toBe(0o600);
    await writeFile(localJsonPath(dir), '{oops');
    const fresh = await ensureLocalTenant(stores.tenants, dir, 'http://127.0.0.1:1/mcp', silentLogger);
    expect(fresh.created).toBe(true);
    expect((await stat(localJsonPath(dir))).mode & 0o777).toBe(0o600);
  });
});
