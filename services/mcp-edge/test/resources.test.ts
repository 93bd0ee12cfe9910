import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { artifactKeys, newRunId, newWorkerId } from '@outpost/shared';
import { EDGE_VERSION, RESOURCE_NOT_FOUND } from '../src/index.js';
import { call, callOk, REPO, startHarness, type Harness } from './helpers/harness.js';

/** The text of a read's first (text) content. */
function textOf(result: ReadResourceResult): string {
  const first = result.contents[0];
  if (!first || !('text' in first)) throw new Error('no text content');
  return first.text;
}

/** The error a read fails with (fails the test if it succeeds). */
async function readError(client: Client, uri: string): Promise<McpError> {
  const err = await client.readResource({ uri }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof McpError)) throw new Error(`reading ${uri} did not fail with an MCP error: ${String(err)}`);
  return err;
}

describe('runs as resources, prompts and serverInfo (through the SDK client)', () => {
  let h: Harness;
  let a: { tenantId: string; apiKey: string };
  let ca: Client;
  let cb: Client;
  let runId: string;

  beforeAll(async () => {
    h = await startHarness();
    a = await h.tenant('enterprise');
    const b = await h.tenant('enterprise');
    ca = await h.client(a.apiKey);
    cb = await h.client(b.apiKey);
    runId = (await callOk(ca, 'dispatch', { agent: 'shell', task: 'add a README\nwith details', repo: REPO })).runs[0].runId;
    // Plays the worker: the run finishes with a log, a patch and a summary.
    const { leaseToken } = await h.stores.runs.acquireLease({ tenantId: a.tenantId, runId, tier: 'enterprise', workerId: newWorkerId(), leaseMs: 60_000 });
    const key = artifactKeys.artifact(a.tenantId, runId, 'patch.diff');
    const patch = 'diff --git a/README.md b/README.md\n+hello\n';
    await h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: key, Body: patch }));
    await h.stores.runs.finish({
      tenantId: a.tenantId,
      runId,
      leaseToken,
      status: 'succeeded',
      exitCode: 0,
      summary: { durationMs: 900, exitCode: 0, filesChanged: 1, insertions: 1, deletions: 0 },
      artifacts: [{ name: 'patch.diff', key, bytes: Buffer.byteLength(patch) }],
      logTail: 'cloning\nediting README.md\ndone\n',
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists the four run templates and the tenant\'s own runs only', async () => {
    const { resourceTemplates } = await ca.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(
      ['outpost://runs/{runId}', 'outpost://runs/{runId}/log', 'outpost://runs/{runId}/patch', 'outpost://runs/{runId}/summary'].sort(),
    );
    const mine = await ca.listResources();
    expect(mine.resources).toContainEqual(expect.objectContaining({ uri: `outpost://runs/${runId}`, name: runId, description: 'add a README' }));
    const theirs = await cb.listResources();
    expect(theirs.resources.map((r) => r.uri)).not.toContain(`outpost://runs/${runId}`);
  });

  it('reads the run, its log, patch and summary', async () => {
    const run = await ca.readResource({ uri: `outpost://runs/${runId}` });
    expect(JSON.parse(textOf(run))).toMatchObject({ runId, status: 'succeeded', agent: 'shell' });
    const log = await ca.readResource({ uri: `outpost://runs/${runId}/log` });
    expect(log.contents[0]).toMatchObject({ mimeType: 'text/plain', text: 'cloning\nediting README.md\ndone\n' });
    const patch = await ca.readResource({ uri: `outpost://runs/${runId}/patch` });
    expect(patch.contents[0]).toMatchObject({ mimeType: 'text/x-diff', text: 'diff --git a/README.md b/README.md\n+hello\n', _meta: { truncated: false } });
    const summary = await ca.readResource({ uri: `outpost://runs/${runId}/summary` });
    expect(JSON.parse(textOf(summary))).toMatchObject({ runId, status: 'succeeded', summary: { filesChanged: 1 } });
  });

  it("answers another tenant's run exactly as a missing one: not found", async () => {
    const missing = newRunId();
    for (const suffix of ['', '/log', '/patch', '/summary']) {
      const theirs = await readError(cb, `outpost://runs/${runId}${suffix}`);
      const none = await readError(cb, `outpost://runs/${missing}${suffix}`);
      expect(theirs.code).toBe(RESOURCE_NOT_FOUND);
      expect(none.code).toBe(RESOURCE_NOT_FOUND);
      expect(theirs.message.replace(runId, 'ID')).toBe(none.message.replace(missing, 'ID'));
      expect(theirs.message).toContain('not found');
    }
    const prompt = await cb.getPrompt({ name: 'review_patch', arguments: { runId } }).catch((e: unknown) => e);
    expect(prompt).toBeInstanceOf(McpError);
    expect((prompt as McpError).message).toContain(`run ${runId} not found`);
  });

  it('offers no subscriptions over stateless HTTP (no stream could carry the updates)', async () => {
    expect(ca.getServerCapabilities()?.resources?.subscribe).toBeUndefined();
    const err = await ca.subscribeResource({ uri: `outpost://runs/${runId}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32601); // method not found
  });

  it('links tool results to the run resources', async () => {
    const got = await call(ca, 'get_run', { runId });
    expect(got.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: `outpost://runs/${runId}/patch`, mimeType: 'text/x-diff' }));
    const fresh = await call(ca, 'dispatch', { agent: 'shell', task: 'x', repo: REPO });
    const newId = (fresh.structuredContent as { runs: { runId: string }[] }).runs[0]?.runId;
    expect(fresh.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: `outpost://runs/${newId}` }));
    const listed = await call(ca, 'list_runs', {});
    expect(listed.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: `outpost://runs/${runId}` }));
  });

  it("completes run ids from the tenant's own runs", async () => {
    const mine = await ca.complete({ ref: { type: 'ref/resource', uri: 'outpost://runs/{runId}/patch' }, argument: { name: 'runId', value: 'run_' } });
    expect(mine.completion.values).toContain(runId);
    const theirs = await cb.complete({ ref: { type: 'ref/prompt', name: 'review_patch' }, argument: { name: 'runId', value: 'run_' } });
    expect(theirs.completion.values).not.toContain(runId);
    const agents = await ca.complete({ ref: { type: 'ref/prompt', name: 'fan_out' }, argument: { name: 'agents', value: 'claude,co' } });
    expect(agents.completion.values).toEqual(['claude,codex']);
  });

  it('offers prompts: fan out, review a patch (embedded), continue with feedback', async () => {
    const { prompts } = await ca.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['continue_run', 'fan_out', 'review_patch']);
    const review = await ca.getPrompt({ name: 'review_patch', arguments: { runId } });
    expect(review.messages).toContainEqual(
      expect.objectContaining({ content: expect.objectContaining({ type: 'resource', resource: expect.objectContaining({ uri: `outpost://runs/${runId}/patch`, text: expect.stringContaining('+hello') }) }) }),
    );
    const follow = await ca.getPrompt({ name: 'continue_run', arguments: { runId, feedback: 'also add a licence' } });
    expect(JSON.stringify(follow.messages)).toContain(`continueFrom \\"${runId}\\"`);
    const fan = await ca.getPrompt({ name: 'fan_out', arguments: { task: 'fix the bug', repo: 'o/r', agents: 'claude, codex' } });
    expect(JSON.stringify(fan.messages)).toContain('[\\"claude\\",\\"codex\\"]');
    await expect(ca.getPrompt({ name: 'fan_out', arguments: { task: 't', repo: 'o/r', agents: 'claude,nobody' } })).rejects.toThrow(/comma-separated list/);
  });

  it('tells the client who it is: title, version, website and an icon the edge serves', async () => {
    const info = ca.getServerVersion();
    expect(info).toMatchObject({ name: 'outpost', title: 'Outpost', version: EDGE_VERSION, websiteUrl: `${h.edge.url}/` });
    const icon = info?.icons?.[0];
    expect(icon).toMatchObject({ src: `${h.edge.url}/icon.svg`, mimeType: 'image/svg+xml' });
    const res = await fetch(icon!.src);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg /);
    expect(ca.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {}, completions: {} });
  });
});
