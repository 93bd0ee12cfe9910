import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError, ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { newRunId, newWorkerId, openStores, writeLocalCredentials, type Stores } from '@outpost/shared';
import { startTestStack, type TestStack, until } from '@outpost/testkit';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exec = promisify(execFile);

// The bin as a person installs it from the checkout: `npm install -g ./packages/outpost-mcp`
// (here into a temporary prefix; a folder install links it, nothing is fetched from a registry).
describe('the outpost-mcp bin, installed', () => {
  let home: string;
  let prefix: string;
  let stack: TestStack;
  let stores: Stores;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-mcp-bin-'));
    prefix = path.join(home, 'prefix');
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    await writeFile(path.join(home, 'endpoints.json'), JSON.stringify({ ...stack.config.endpoints, prefix: stack.config.prefix, env: 'test' }));
    await writeLocalCredentials(home, stack.config.credentials!);
    await exec('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', PACKAGE_DIR], { cwd: home });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  const connect = async (apiKey: string) => {
    const client = new Client({ name: 'bin-test', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: path.join(prefix, 'bin', 'outpost-mcp'),
        // As `claude mcp add outpost -e OUTPOST_API_KEY=… -e OUTPOST_HOME=… -- outpost-mcp` starts it, from another directory.
        env: { PATH: process.env.PATH ?? '', OUTPOST_HOME: home, OUTPOST_API_KEY: apiKey },
        cwd: tmpdir(),
        stderr: 'pipe',
      }),
    );
    return client;
  };
  const tenant = async () => {
    const t = await stores.tenants.createTenant({ name: 'bin', tier: 'pro' });
    return { tenantId: t.tenantId, apiKey: (await stores.tenants.createApiKey(t.tenantId, 'test')).apiKey };
  };

  it('serves the tools, the run resources and the prompts, and names itself', async () => {
    const [a, b] = [await connect((await tenant()).apiKey), await connect((await tenant()).apiKey)];
    try {
      expect(a.getServerVersion()).toMatchObject({ name: 'outpost', title: 'Outpost', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      expect(a.getServerVersion()?.icons?.[0]?.src).toMatch(/^data:image\/svg\+xml;base64,/);
      const out = (await a.callTool({ name: 'dispatch', arguments: { agent: 'shell', task: 'x', repo: 'https://github.com/example/project.git' } })) as CallToolResult;
      const runId = (out.structuredContent as { runs: { runId: string }[] }).runs[0]!.runId;
      expect(out.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: `outpost://runs/${runId}` }));
      const read = await a.readResource({ uri: `outpost://runs/${runId}` });
      expect(read.contents[0]).toMatchObject({ uri: `outpost://runs/${runId}`, mimeType: 'application/json' });
      const theirs = await b.readResource({ uri: `outpost://runs/${runId}` }).catch((e: unknown) => e);
      const missing = newRunId();
      const none = await b.readResource({ uri: `outpost://runs/${missing}` }).catch((e: unknown) => e);
      expect(theirs).toBeInstanceOf(McpError);
      expect((theirs as McpError).message.replace(runId, 'ID')).toBe((none as McpError).message.replace(missing, 'ID'));
      expect((await a.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['continue_run', 'fan_out', 'review_patch']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('sends resources/updated for a subscribed run when it changes (stdio keeps one server per session)', async () => {
    const owner = await tenant();
    const [a, b] = [await connect(owner.apiKey), await connect((await tenant()).apiKey)];
    try {
      expect(a.getServerCapabilities()?.resources).toMatchObject({ subscribe: true });
      const out = (await a.callTool({ name: 'dispatch', arguments: { agent: 'shell', task: 'x', repo: 'https://github.com/example/project.git' } })) as CallToolResult;
      const run = (out.structuredContent as { runs: { runId: string }[] }).runs[0]!;
      const updated: string[] = [];
      a.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
      await a.subscribeResource({ uri: `outpost://runs/${run.runId}/log` });
      await expect(b.subscribeResource({ uri: `outpost://runs/${run.runId}` })).rejects.toThrow(`run ${run.runId} not found`);
      // Plays a worker taking the run: its record changes (status running).
      await stores.runs.acquireLease({ tenantId: owner.tenantId, runId: run.runId, tier: 'pro', workerId: newWorkerId(), leaseMs: 60_000 });
      await until(() => updated.includes(`outpost://runs/${run.runId}/log`));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('exits 2 with a message when OUTPOST_API_KEY is not a valid key', async () => {
    const failed = await exec(path.join(prefix, 'bin', 'outpost-mcp'), [], {
      env: { PATH: process.env.PATH ?? '', OUTPOST_HOME: home, OUTPOST_API_KEY: 'op_live_nonexistentnonexistentnonexist' },
    }).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('OUTPOST_API_KEY is not a valid') });
  });
});
