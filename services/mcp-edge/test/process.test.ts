import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openStores, writeLocalCredentials, type Stores } from '@outpost/shared';
import { startTestStack, type TestStack, until } from '@outpost/testkit';
import { callOk, REPO, startHarness, STDIO_BIN } from './helpers/harness.js';

// These tests run the built entry points: `npx turbo run build --filter=@outpost/mcp-edge` first.
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

describe('graceful shutdown (in-process)', () => {
  it('stops accepting, lets an in-flight wait_for_run answer, then closes', async () => {
    const h = await startHarness();
    try {
      const t = await h.tenant();
      const c = await h.client(t.apiKey);
      const out = await callOk(c, 'dispatch', { agent: 'shell', task: 'x', repo: REPO });
      let progressed = false;
      const waiting = c.callTool({ name: 'wait_for_run', arguments: { runId: out.runs[0].runId, timeoutSeconds: 120 } }, undefined, {
        onprogress: () => void (progressed = true),
        timeout: 150_000,
      });
      await until(() => progressed);
      const started = Date.now();
      await h.edge.close(10_000);
      const result = (await waiting) as unknown as { structuredContent: { ended: boolean; run: { status: string } } };
      expect(result.structuredContent).toMatchObject({ ended: false, run: { status: 'queued' } });
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(fetch(`${h.edge.url}/healthz`)).rejects.toThrow();
    } finally {
      await h.close();
    }
  });
});

describe('entry points (child processes)', () => {
  let home: string;
  let stack: TestStack;
  let stores: Stores;
  let apiKey: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-edge-proc-'));
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'proc', tier: 'pro' });
    apiKey = (await stores.tenants.createApiKey(tenant.tenantId, 'test')).apiKey;
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('main.js serves /mcp and exits 0 on SIGTERM after answering an in-flight call', async () => {
    expect(existsSync(path.join(DIST, 'main.js'))).toBe(true);
    const child = spawn(process.execPath, [path.join(DIST, 'main.js')], {
      env: { ...stack.env, PATH: process.env.PATH ?? '', OUTPOST_EDGE_PORT: '0', OUTPOST_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await until(() => /"port":\d+/.test(output), { timeoutMs: 20_000 });
      const port = Number(/"port":(\d+)/.exec(output)?.[1]);
      expect(output).toContain('"host":"127.0.0.1"');
      const client = new Client({ name: 'proc-test', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }),
      );
      const out = await callOk(client, 'dispatch', { agent: 'shell', task: 'x', repo: REPO });
      let progressed = false;
      const waiting = client.callTool({ name: 'wait_for_run', arguments: { runId: out.runs[0].runId, timeoutSeconds: 120 } }, undefined, {
        onprogress: () => void (progressed = true),
        timeout: 150_000,
      });
      await until(() => progressed);
      child.kill('SIGTERM');
      const result = (await waiting) as unknown as { structuredContent: { ended: boolean } };
      expect(result.structuredContent.ended).toBe(false);
      expect(await exited).toBe(0);
      await client.close().catch(() => {});
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('the outpost-mcp bin serves the same tools for OUTPOST_API_KEY, finding the local stack through endpoints.json', async () => {
    expect(existsSync(STDIO_BIN)).toBe(true);
    await writeFile(path.join(home, 'endpoints.json'), JSON.stringify({ ...stack.config.endpoints, prefix: stack.config.prefix, env: 'test' }));
    await writeLocalCredentials(home, stack.config.credentials!);
    const client = new Client({ name: 'stdio-test', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [STDIO_BIN],
        // As `claude mcp add outpost -e OUTPOST_API_KEY=… -- npx outpost-mcp` would start it (plus where .outpost is).
        env: { PATH: process.env.PATH ?? '', OUTPOST_HOME: home, OUTPOST_API_KEY: apiKey },
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('dispatch');
      const out = await callOk(client, 'dispatch', { agent: 'shell', task: 'x', repo: REPO });
      const got = await callOk(client, 'get_run', { runId: out.runs[0].runId });
      expect(got.run.status).toBe('queued');
    } finally {
      await client.close();
    }
  });

  it('the outpost-mcp bin refuses to start without a valid OUTPOST_API_KEY', async () => {
    const child = spawn(process.execPath, [STDIO_BIN], {
      env: { ...stack.env, PATH: process.env.PATH ?? '', OUTPOST_API_KEY: 'op_live_nonexistentnonexistentnonexist' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/OUTPOST_API_KEY/);
  });
});
