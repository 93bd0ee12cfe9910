import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort, launchLocalStack, LocalJson, LocalStackEnv, type LocalStackHandle } from '@outpost/infra/local';
import { parseEnv, silentLogger } from '@outpost/shared';

const git = promisify(execFile);

/** A bare repository whose default branch is `trunk` (not main), with one commit. */
async function makeRemote(dir: string): Promise<string> {
  const remote = path.join(dir, 'remote.git');
  const work = path.join(dir, 'seed');
  await git('git', ['init', '--bare', '--initial-branch=trunk', remote]);
  await git('git', ['init', '--initial-branch=trunk', work]);
  const id = ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com'];
  await git('git', ['-C', work, ...id, 'commit', '--allow-empty', '-m', 'seed']);
  await git('git', ['-C', work, 'push', remote, 'trunk']);
  return remote;
}

type Structured = Record<string, unknown>;

/**
 * The whole product, as a user meets it: the launcher (as `npm start` runs it) starts the built
 * edge, dispatcher and workers; a real MCP client dispatches a shell run against a real git
 * repository, waits for it, reads its artifacts through presigned URLs, and promotes it to a branch.
 */
describe('fleet end to end (launcher → edge → queue → worker → S3 → promote)', () => {
  let dir: string;
  let stack: LocalStackHandle;
  let client: Client;
  let remote: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-e2e-'));
    remote = await makeRemote(dir);
    const env = parseEnv(LocalStackEnv, {
      OUTPOST_HOME: path.join(dir, '.outpost'),
      OUTPOST_LOG_LEVEL: 'warn',
      OUTPOST_EDGE_PORT: String(await freePort()),
      OUTPOST_DYNAMODB_PORT: String(await freePort()),
      OUTPOST_SQS_PORT: String(await freePort()),
    });
    stack = await launchLocalStack({ env, logger: silentLogger, stdio: 'ignore' });
    expect(stack.skipped).toEqual([]); // every service is built (turbo builds them before this test)
    const local = LocalJson.parse(JSON.parse(await readFile(path.join(dir, '.outpost', 'local.json'), 'utf8')));
    // The edge starts after the launcher returns: wait for its liveness endpoint, then connect.
    const healthz = new URL('/healthz', local.mcpUrl);
    const deadline = Date.now() + 60_000;
    while (!(await fetch(healthz).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error(`the edge did not answer ${healthz.href}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(local.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${local.apiKey}` } } }),
    );
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 150_000);

  const call = async (name: string, args: Record<string, unknown>): Promise<Structured> => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
    return result.structuredContent as Structured;
  };

  it('dispatches, runs, streams the log, keeps the patch, and promotes the change to a new branch', async () => {
    const dispatched = await call('dispatch', {
      agent: 'shell',
      task: 'echo "hello from outpost" > hello.txt && echo wrote hello.txt',
      repo: remote,
      tags: { suite: 'e2e' },
    });
    const [queued] = dispatched.runs as { runId: string; status: string }[];
    expect(queued?.status).toBe('queued');
    const runId = queued!.runId;

    // The worker pool is started by the dispatcher; the first run may wait for a worker to boot.
    let waited: Structured = {};
    for (let i = 0; i < 3 && !waited.ended; i++) waited = await call('wait_for_run', { runId, timeoutSeconds: 60 });
    expect(waited.ended).toBe(true);
    expect((waited.run as { status: string }).status).toBe('succeeded');

    const got = await call('get_run', { runId, logLines: 20 });
    const run = got.run as { baseCommit?: string; summary?: { filesChanged: number; exitCode: number } };
    expect(run.summary).toMatchObject({ filesChanged: 1, exitCode: 0 });
    expect(run.baseCommit).toMatch(/^[0-9a-f]{40}$/);
    expect((got.log as { lines: string[] }).lines.join('\n')).toContain('wrote hello.txt');
    const artifacts = got.artifacts as { name: string; url: string }[];
    expect(artifacts.map((a) => a.name).sort()).toEqual(expect.arrayContaining(['log.txt', 'patch.diff', 'summary.json']));
    const patch = await (await fetch(artifacts.find((a) => a.name === 'patch.diff')!.url)).text();
    expect(patch).toContain('+hello from outpost');

    const listed = await call('list_runs', { tag: 'suite=e2e' });
    expect((listed.runs as { runId: string }[]).map((r) => r.runId)).toEqual([runId]);

    const promoted = await call('promote', { runId, commitMessage: 'Add hello.txt' });
    let promotion = promoted.promotion as { status: string; branch: string; commitSha?: string };
    for (let i = 0; i < 3 && promotion.status === 'pending'; i++) {
      await call('wait_for_run', { runId, timeoutSeconds: 5 });
      promotion = (await call('get_run', { runId })).promotion as typeof promotion;
    }
    expect(promotion).toMatchObject({ status: 'succeeded', branch: `outpost/${runId}` });
    const { stdout: shown } = await git('git', ['--git-dir', remote, 'show', `${promotion.branch}:hello.txt`]);
    expect(shown).toBe('hello from outpost\n');
    const { stdout: message } = await git('git', ['--git-dir', remote, 'log', '-1', '--format=%s', promotion.branch]);
    expect(message.trim()).toBe('Add hello.txt');
    // The default branch is untouched.
    const { stdout: trunk } = await git('git', ['--git-dir', remote, 'log', '--format=%s', 'trunk']);
    expect(trunk.trim()).toBe('seed');

    const fleet = await call('fleet_status', {});
    expect(JSON.stringify(fleet)).toContain('shell');
  }, 300_000);
});
