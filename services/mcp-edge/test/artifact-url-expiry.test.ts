import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { artifactKeys, newWorkerId, openStores, type Stores } from '@outpost/shared';
import { ShiftedClock, startTestStack, type TestStack } from '@outpost/testkit';
import { startEdge, type Edge } from '../src/index.js';
import { ARTIFACT_URL_SECONDS } from '../src/tools/get-run.js';
import { callOk, REPO } from './helpers/harness.js';

// The local S3 emulator checks presigned URLs as S3 does: signed with the stack's key, and not
// after X-Amz-Date + X-Amz-Expires. A URL get_run handed out must keep working for its lifetime.
describe('get_run artifact URLs against the local S3 emulator', () => {
  const clock = new ShiftedClock();
  let home: string;
  let stack: TestStack;
  let edge: Edge;
  let stores: Stores;
  let client: Client;
  let tenantId: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-edge-urls-'));
    stack = await startTestStack({ home, clock });
    edge = await startEdge({ config: { ...stack.config, port: 0, host: '127.0.0.1', authCacheMs: 15_000 }, clients: stack.clients });
    stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'urls', tier: 'enterprise' });
    tenantId = tenant.tenantId;
    const { apiKey } = await stores.tenants.createApiKey(tenant.tenantId, 'test');
    client = new Client({ name: 'edge-urls', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
  });
  afterAll(async () => {
    await client?.close().catch(() => {});
    await edge?.close(1_000);
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('download until they expire, and are refused (403 AccessDenied) after; a changed URL is refused at once', async () => {
    const runId = (await callOk(client, 'dispatch', { agent: 'shell', task: 'echo hi', repo: REPO })).runs[0].runId as string;
    const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId, tier: 'enterprise', workerId: newWorkerId(), leaseMs: 60_000 });
    const key = artifactKeys.artifact(tenantId, runId, 'patch.diff');
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: stores.names.bucket, Key: key, Body: 'diff --git a/x b/x\n' }));
    await stores.runs.finish({
      tenantId, runId, leaseToken, status: 'succeeded', exitCode: 0,
      summary: { durationMs: 1, exitCode: 0, filesChanged: 1, insertions: 1, deletions: 0 },
      artifacts: [{ name: 'patch.diff', key, bytes: 19 }],
      logTail: '',
    });
    const [artifact] = (await callOk(client, 'get_run', { runId })).artifacts as { url: string; expiresAt: string }[];
    const url = artifact!.url;
    expect(url).toContain(`X-Amz-Expires=${ARTIFACT_URL_SECONDS}`);

    expect(await (await fetch(url)).text()).toBe('diff --git a/x b/x\n');
    const tampered = url.replace('patch.diff', 'summary.json');
    expect((await fetch(tampered)).status).toBe(403);
    try {
      clock.offsetMs = (ARTIFACT_URL_SECONDS - 10) * 1000;
      expect(await (await fetch(url)).text()).toBe('diff --git a/x b/x\n');
      clock.offsetMs = (ARTIFACT_URL_SECONDS + 10) * 1000;
      const late = await fetch(url);
      expect(late.status).toBe(403);
      expect(await late.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    } finally {
      clock.offsetMs = 0;
    }
  });
});
