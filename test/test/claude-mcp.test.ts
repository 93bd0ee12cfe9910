import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startEdge, type Edge } from '@outpost/mcp-edge';
import { openStores } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { pinnedCli, scratchClaudeEnv } from './helpers/pinned-cli.js';

const run = promisify(execFile);
// The pinned Claude Code (the worker image's version): runs offline, no key needed.
let CLAUDE = '';

describe('a real MCP client: Claude Code', () => {
  let home: string;
  let stack: TestStack;
  let edge: Edge;
  let apiKey: string;

  beforeAll(async () => {
    CLAUDE = await pinnedCli('claude');
    home = await mkdtemp(path.join(tmpdir(), 'outpost-claude-'));
    stack = await startTestStack({ home: path.join(home, 'outpost') });
    edge = await startEdge({ config: { ...stack.config, port: 0, host: '127.0.0.1' }, clients: stack.clients });
    const stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'claude-code', tier: 'pro' });
    apiKey = (await stores.tenants.createApiKey(tenant.tenantId, 'test')).apiKey;
  }, 300_000);
  afterAll(async () => {
    await edge?.close(1_000);
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  /** Runs claude with a scratch HOME and config dir, so nothing of the machine's setup leaks in or out. */
  const claude = async (args: string[], cwd: string) => {
    const env = {
      ...scratchClaudeEnv(home),
    };
    // claude exits 0 even when a server fails to connect: callers check the text.
    const { stdout, stderr } = await run(CLAUDE, args, { cwd, env, timeout: 90_000 });
    return `${stdout}\n${stderr}`;
  };

  it('connects to the edge over HTTP with a Bearer key (`claude mcp list` says Connected)', async () => {
    expect(existsSync(CLAUDE)).toBe(true);
    const project = path.join(home, 'project');
    await mkdir(project, { recursive: true });
    const added = await claude(['mcp', 'add', '--transport', 'http', 'outpost', `${edge.url}/mcp`, '--header', `Authorization: Bearer ${apiKey}`], project);
    expect(added).toMatch(/Added HTTP MCP server outpost/);
    const listed = await claude(['mcp', 'list'], project);
    const line = listed.split('\n').find((l) => l.startsWith('outpost:'));
    expect(line).toBeDefined();
    expect(line).toMatch(/✔ Connected/);
  }, 120_000);

  it('reports a wrong key as not connected (the check can fail)', async () => {
    const project = path.join(home, 'project-bad');
    await mkdir(project, { recursive: true });
    await claude(['mcp', 'add', '--transport', 'http', 'outpost', `${edge.url}/mcp`, '--header', 'Authorization: Bearer op_test_wrongwrongwrongwrongwrongwrong'], project);
    const listed = await claude(['mcp', 'list'], project);
    const line = listed.split('\n').find((l) => l.startsWith('outpost:'));
    expect(line).toBeDefined();
    expect(line).not.toMatch(/✔ Connected/);
  }, 120_000);

  it('with no header, `claude mcp list` says the server needs authentication (OAuth discovery), not that it failed', async () => {
    const project = path.join(home, 'project-oauth');
    await mkdir(project, { recursive: true });
    const added = await claude(['mcp', 'add', '--transport', 'http', 'outpost', `${edge.url}/mcp`], project);
    expect(added).toMatch(/Added HTTP MCP server outpost/);
    const listed = await claude(['mcp', 'list'], project);
    const line = listed.split('\n').find((l) => l.startsWith('outpost:'));
    expect(line).toBeDefined();
    expect(line).toMatch(/needs authentication/i);
    expect(line).not.toMatch(/failed/i);
  }, 120_000);

  it('without the authorization server (OUTPOST_OAUTH=off) the same setup fails to connect (the check can fail)', async () => {
    const keysOnly = await startEdge({ config: { ...stack.config, port: 0, host: '127.0.0.1', oauth: false }, clients: stack.clients });
    try {
      const project = path.join(home, 'project-keys-only');
      await mkdir(project, { recursive: true });
      await claude(['mcp', 'add', '--transport', 'http', 'outpost', `${keysOnly.url}/mcp`], project);
      const line = (await claude(['mcp', 'list'], project)).split('\n').find((l) => l.startsWith('outpost:'));
      expect(line).toBeDefined();
      expect(line).not.toMatch(/needs authentication|Connected/i);
    } finally {
      await keysOnly.close(1_000);
    }
  }, 120_000);
});
