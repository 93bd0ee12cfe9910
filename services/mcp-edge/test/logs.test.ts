import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createLogger, openStores } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { startEdge, type Edge } from '../src/index.js';
import { callOk, REPO, STDIO_BIN } from './helpers/harness.js';

/** Log lines as written (raw text, to see duplicated keys) and parsed. */
class LineSink extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.raw.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

const parse = (raw: string[]) => raw.filter((l) => l.startsWith('{')).map((l) => ({ raw: l, line: JSON.parse(l) as Record<string, unknown> }));
/** How often `"key":` occurs in one raw JSON line (JSON.parse would hide a duplicate). */
const occurrences = (raw: string, key: string) => raw.split(`"${key}":`).length - 1;

/** Every 'run dispatched' line: tenantId once; the runs of one dispatch share a request id, two dispatches do not. */
function expectDispatchLines(raw: string[], tenantId: string, firstRuns: string[], secondRuns: string[]) {
  const lines = parse(raw).filter((l) => l.line.msg === 'run dispatched');
  expect(lines.map((l) => l.line.runId).sort()).toEqual([...firstRuns, ...secondRuns].sort());
  for (const l of lines) {
    expect(occurrences(l.raw, 'tenantId')).toBe(1);
    expect(occurrences(l.raw, 'requestId')).toBe(1);
    expect(l.line).toMatchObject({ tenantId, tool: 'dispatch', requestId: expect.stringMatching(/^req_/) });
  }
  const idsOf = (runs: string[]) => new Set(lines.filter((l) => runs.includes(l.line.runId as string)).map((l) => l.line.requestId));
  const first = idsOf(firstRuns);
  const second = idsOf(secondRuns);
  expect(first.size).toBe(1);
  expect(second.size).toBe(1);
  expect([...first][0]).not.toBe([...second][0]);
}

describe('mcp-edge logs', () => {
  let home: string;
  let stack: TestStack;
  let tenantId: string;
  let apiKey: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-edge-logs-'));
    stack = await startTestStack({ home });
    const stores = openStores(stack.config, stack.clients);
    tenantId = (await stores.tenants.createTenant({ name: 'logs', tier: 'enterprise' })).tenantId;
    apiKey = (await stores.tenants.createApiKey(tenantId, 'test')).apiKey;
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  const dispatchTwice = async (client: Client) => {
    const a = await callOk<{ runs: { runId: string }[] }>(client, 'dispatch', { agents: ['shell', 'shell'], task: 'true', repo: REPO });
    const b = await callOk<{ runs: { runId: string }[] }>(client, 'dispatch', { agents: ['shell', 'shell'], task: 'true', repo: REPO });
    return [a.runs.map((r) => r.runId), b.runs.map((r) => r.runId)] as const;
  };

  it('over HTTP: tenantId once per line, and a request id per tool call on every line the call causes', async () => {
    const sink = new LineSink();
    let edge: Edge | undefined;
    const client = new Client({ name: 'logs', version: '1' });
    try {
      edge = await startEdge({
        config: { ...stack.config, port: 0, host: '127.0.0.1' },
        clients: stack.clients,
        logger: createLogger({ service: 'mcp-edge', level: 'info', destination: sink }),
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
      const [first, second] = await dispatchTwice(client);
      expectDispatchLines(sink.raw, tenantId, first, second);
    } finally {
      await client.close().catch(() => {});
      await edge?.close(1_000);
    }
  });

  it('over stdio (one server for many calls): a distinct request id per call, tenantId once', async () => {
    expect(existsSync(STDIO_BIN)).toBe(true);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [STDIO_BIN],
      env: { ...stack.env, PATH: process.env.PATH ?? '', OUTPOST_API_KEY: apiKey, OUTPOST_LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    const stderr: string[] = [];
    transport.stderr!.on('data', (b: Buffer) => stderr.push(...b.toString().split('\n').filter(Boolean)));
    const client = new Client({ name: 'logs-stdio', version: '1' });
    await client.connect(transport);
    try {
      const [first, second] = await dispatchTwice(client);
      // The lines reach stderr a moment after the answers.
      const deadline = Date.now() + 10_000;
      while (parse(stderr).filter((l) => l.line.msg === 'run dispatched').length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expectDispatchLines(stderr, tenantId, first, second);
    } finally {
      await client.close();
    }
  });
});
