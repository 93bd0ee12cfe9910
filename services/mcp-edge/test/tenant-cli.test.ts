import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { FileParameterStore, openStores, parameterPaths, secretsFromParameters, SsmParameterStore, UsageError, writeLocalCredentials, type Stores } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { runTenantCommand } from '../src/admin/tenant-commands.js';
import { TenantDirectory } from '../src/admin/tenant-directory.js';

const run = promisify(execFile);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/admin/tenant-cli.js');

describe('tenant admin command', () => {
  let home: string;
  let stack: TestStack;
  let stores: Stores;
  let deps: { stores: Stores; directory: TenantDirectory };

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-cli-'));
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    deps = { stores, directory: new TenantDirectory(stack.clients.doc, stores.names.tables.tenants) };
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('create prints a tenant id and a working API key; list, set-tier, create-key and revoke-key follow', async () => {
    const created = (await runTenantCommand(['create', '--name', 'Acme', '--tier', 'pro'], deps)) as { tenantId: string; apiKey: string };
    expect(created).toMatchObject({ tenantId: expect.stringMatching(/^ten_/), apiKey: expect.stringMatching(/^op_live_/), tier: 'pro' });
    expect((await stores.tenants.resolveApiKey(created.apiKey))?.tenantId).toBe(created.tenantId);

    const listed = (await runTenantCommand(['list'], deps)) as { tenants: { tenantId: string; tier: string; keys: unknown[] }[] };
    expect(listed.tenants).toEqual([expect.objectContaining({ tenantId: created.tenantId, name: 'Acme', tier: 'pro', keys: [expect.objectContaining({ prefix: created.apiKey.slice(0, 12) })] })]);
    expect(JSON.stringify(listed)).not.toContain(created.apiKey);

    await runTenantCommand(['set-tier', '--tenant', created.tenantId, '--tier', 'enterprise'], deps);
    expect((await stores.tenants.getTenant(created.tenantId))?.tier).toBe('enterprise');

    const second = (await runTenantCommand(['create-key', '--tenant', created.tenantId, '--kind', 'test'], deps)) as { apiKey: string };
    expect(second.apiKey).toMatch(/^op_test_/);
    await runTenantCommand(['revoke-key', '--key', created.apiKey], deps);
    expect(await stores.tenants.resolveApiKey(created.apiKey)).toBeUndefined();
    expect((await stores.tenants.resolveApiKey(second.apiKey))?.tenantId).toBe(created.tenantId);
  });

  it.each([
    [['create', '--name', 'x']],
    [['create', '--name', 'x', '--tier', 'gold']],
    [['set-tier', '--tenant', 'ten_nope', '--tier', 'pro']],
    [['create-key', '--tenant', 'ten_nope']],
    [['revoke-key', '--key', 'op_live_unknownunknownunknownunknown']],
    [['frobnicate']],
    [['create', '--bogus']],
  ])('refuses %p with a usage error', async (argv) => {
    await expect(runTenantCommand(argv, deps)).rejects.toBeInstanceOf(UsageError);
  });

  it('runs as a process that finds the stack through endpoints.json', async () => {
    expect(existsSync(CLI)).toBe(true); // build first: npx turbo run build --filter=@outpost/mcp-edge
    const cliHome = await mkdtemp(path.join(tmpdir(), 'outpost-cli-home-'));
    try {
      await writeFile(path.join(cliHome, 'endpoints.json'), JSON.stringify({ ...stack.config.endpoints, prefix: stack.config.prefix, env: 'test' }));
      await writeLocalCredentials(cliHome, stack.config.credentials!);
      const env = { PATH: process.env.PATH ?? '', OUTPOST_HOME: cliHome, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
      const { stdout } = await run(process.execPath, [CLI, 'create', '--name', 'Proc', '--tier', 'free'], { env });
      const out = JSON.parse(stdout) as { tenantId: string; apiKey: string };
      expect((await stores.tenants.resolveApiKey(out.apiKey))?.tenantId).toBe(out.tenantId);
      const bad = await run(process.execPath, [CLI, 'create', '--name', 'x'], { env }).catch((err: { code: number; stderr: string }) => err);
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--tier') });
    } finally {
      await rm(cliHome, { recursive: true, force: true });
    }
  });

  describe('set-secret', () => {
    const SECRET = 'sk-ant-api03-SETSECRETvalue0123456789abcdef';

    it('stores the value read from stdin under the tenant path, never echoing it', async () => {
      const tenant = await stores.tenants.createTenant({ name: 'Sec', tier: 'pro' });
      const params = new FileParameterStore(path.join(home, 'secrets-a.json'));
      const out = await runTenantCommand(['set-secret', '--tenant', tenant.tenantId, '--name', 'anthropic_api_key'], {
        ...deps,
        secrets: { params, env: 'test', read: async () => `${SECRET}\n` },
      });
      expect(out).toEqual({ tenantId: tenant.tenantId, name: 'anthropic_api_key', stored: true });
      expect(JSON.stringify(out)).not.toContain(SECRET);
      expect(await params.get(parameterPaths.tenantSecret('test', tenant.tenantId, 'anthropic_api_key'))).toBe(SECRET);
      // What a worker reads for this tenant.
      const prefix = parameterPaths.tenantSecrets('test', tenant.tenantId);
      const found = secretsFromParameters(await params.getByPath(prefix), prefix);
      expect(found.anthropic_api_key).toBe(SECRET);
    });

    it.each([
      ['an unknown secret name', ['set-secret', '--name', 'aws_secret', '--tenant', 'ten_x'], SECRET],
      ['an unknown tenant', ['set-secret', '--name', 'github_token', '--tenant', 'ten_nope'], SECRET],
      ['an empty value', ['set-secret', '--name', 'github_token'], '  \n'],
    ])('refuses %s', async (_what, argv, value) => {
      const tenant = await stores.tenants.createTenant({ name: 'Sec2', tier: 'pro' });
      const params = new FileParameterStore(path.join(home, 'secrets-b.json'));
      const run = runTenantCommand(argv, { ...deps, secrets: { params, env: 'test', read: async () => value, defaultTenantId: tenant.tenantId } });
      await expect(run).rejects.toBeInstanceOf(UsageError);
      expect(await params.getByPath('/outpost/')).toEqual({});
    });

    it('aws mode: requires --kms-key and stores a SecureString under that key', async () => {
      const tenant = await stores.tenants.createTenant({ name: 'Aws', tier: 'pro' });
      const ssm = mockClient(SSMClient);
      ssm.on(PutParameterCommand).resolves({ Version: 1 });
      try {
        const secrets = { params: new SsmParameterStore(new SSMClient({ region: 'us-east-1' })), env: 'prod', read: async () => SECRET, requireKmsKey: true };
        const argv = ['set-secret', '--tenant', tenant.tenantId, '--name', 'anthropic_api_key'];
        await expect(runTenantCommand(argv, { ...deps, secrets })).rejects.toThrow(/--kms-key is required/);
        expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
        await runTenantCommand([...argv, '--kms-key', 'alias/outpost-prod-secrets'], { ...deps, secrets });
        expect(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input)).toEqual([
          {
            Name: `/outpost/prod/tenants/${tenant.tenantId}/anthropic_api_key`,
            Value: SECRET,
            Type: 'SecureString',
            KeyId: 'alias/outpost-prod-secrets',
            Overwrite: true,
          },
        ]);
      } finally {
        ssm.restore();
      }
    });

    it('as a process: defaults to the local tenant of local.json and reads the value from a pipe', async () => {
      const cliHome = await mkdtemp(path.join(tmpdir(), 'outpost-cli-secret-'));
      try {
        const tenant = await stores.tenants.createTenant({ name: 'Local', tier: 'enterprise' });
        await writeFile(path.join(cliHome, 'endpoints.json'), JSON.stringify({ ...stack.config.endpoints, prefix: stack.config.prefix, env: 'test' }));
        await writeLocalCredentials(cliHome, stack.config.credentials!);
        await writeFile(path.join(cliHome, 'local.json'), JSON.stringify({ tenantId: tenant.tenantId, apiKey: 'x', mcpUrl: 'x' }));
        const env = { PATH: process.env.PATH ?? '', OUTPOST_HOME: cliHome, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
        const child = spawn(process.execPath, [CLI, 'set-secret', '--name', 'github_token'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdin.end('ghp_PIPEDtoken0123456789abcdefghijklmnopqr');
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(stdout).not.toContain('ghp_PIPED');
        const file = JSON.parse(await readFile(path.join(cliHome, 'secrets.json'), 'utf8')) as Record<string, string>;
        expect(file[parameterPaths.tenantSecret('test', tenant.tenantId, 'github_token')]).toBe('ghp_PIPEDtoken0123456789abcdefghijklmnopqr');
      } finally {
        await rm(cliHome, { recursive: true, force: true });
      }
    });
  });
});
