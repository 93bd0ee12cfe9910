import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openStores, SECRET_NAMES, type Stores } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { USAGE } from '../src/admin/tenant-commands.js';

const run = promisify(execFile);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/admin/tenant-cli.js');

/** `npm run tenant` beside a local stack, as the README shows it. */
describe('tenant admin command in local mode', () => {
  let home: string;
  let stack: TestStack;
  let stores: Stores;
  let localTenantId: string;
  let tenant: (...argv: string[]) => Promise<Record<string, any>>;

  beforeAll(async () => {
    expect(existsSync(CLI)).toBe(true); // build first: npx turbo run build --filter=@outpost/mcp-edge
    home = await mkdtemp(path.join(tmpdir(), 'outpost-cli-local-'));
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    // What the launcher makes on first start: its own tenant (not through this command) and local.json.
    const local = await stores.tenants.createTenant({ name: 'local', tier: 'enterprise' });
    localTenantId = local.tenantId;
    const { apiKey } = await stores.tenants.createApiKey(local.tenantId, 'test');
    await writeFile(path.join(home, 'local.json'), JSON.stringify({ mcpUrl: 'http://127.0.0.1:1/mcp', apiKey, tenantId: local.tenantId }));
    const env = { ...stack.env, PATH: process.env.PATH ?? '', OUTPOST_HOME: home };
    tenant = async (...argv) => JSON.parse((await run(process.execPath, [CLI, ...argv], { env })).stdout) as Record<string, any>;
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('create and create-key hand out op_test_ keys (a laptop stack makes no live keys unless asked)', async () => {
    const created = await tenant('create', '--name', 'Acme', '--tier', 'pro');
    expect(created.apiKey).toMatch(/^op_test_/);
    expect((await stores.tenants.resolveApiKey(created.apiKey))?.tenantId).toBe(created.tenantId);
    expect((await tenant('create-key', '--tenant', created.tenantId)).apiKey).toMatch(/^op_test_/);
    expect((await tenant('create-key', '--tenant', created.tenantId, '--kind', 'live')).apiKey).toMatch(/^op_live_/);
  });

  it('list includes the local tenant npm start made, marked local, with its tier', async () => {
    const created = await tenant('create', '--name', 'Listed', '--tier', 'free');
    const { tenants } = (await tenant('list')) as { tenants: { tenantId: string; tier: string; local?: boolean; keys: unknown[] }[] };
    const local = tenants.find((t) => t.tenantId === localTenantId);
    expect(local).toMatchObject({ tier: 'enterprise', local: true, keys: [expect.objectContaining({ prefix: expect.stringMatching(/^op_test_/) })] });
    expect(tenants.find((t) => t.tenantId === created.tenantId)).not.toHaveProperty('local');
    expect(tenants.filter((t) => t.tenantId === localTenantId)).toHaveLength(1);
  });

  it('the usage text names every secret set-secret takes', () => {
    for (const name of SECRET_NAMES) expect(USAGE).toContain(name);
  });
});
