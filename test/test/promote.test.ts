import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  createAwsClients,
  FileParameterStore,
  newRunId,
  newWorkerId,
  openStores,
  parameterPaths,
  resolveTiers,
  type AwsClients,
  type Stores,
  type TierName,
} from '@outpost/shared';
import { notFoundMessage, promoteTool, registerPromote, STALE_PENDING_MS, startEdge, TOOLS, type Edge } from '@outpost/mcp-edge';
import { api, call, callError, callOk, createBareRemote, git, signIn, startTestStack, textOf, type TestStack } from '@outpost/testkit';
import { loadWorkerConfig, Worker } from '@outpost/worker';

const TOKEN = 'ghp_EdgePromoteToken0123456789abcdefABCDEF';


/** Counts `promote` jobs sent through a client (a middleware on its own SQS client). */
function countPromoteJobs(clients: AwsClients): () => number {
  let n = 0;
  clients.sqs.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { MessageBody?: string };
      if (input.MessageBody?.includes('"kind":"promote"')) n++;
      return next(args);
    },
    { step: 'initialize', name: 'countPromoteJobs' },
  );
  return () => n;
}

describe('promote tool (edge + worker in-process)', () => {
  let tmp: string;
  let stack: TestStack;
  let stores: Stores;
  let edge: Edge;
  let shortEdge: Edge;
  let worker: Worker;
  let github: { url: string; seen: { url: string; auth?: string | undefined; body: string }[]; server: Server };
  let remote: string;
  let promoteJobs: () => number;
  let shortPromoteJobs: () => number;
  const clients: Client[] = [];

  const connect = async (e: Edge, apiKey: string) => {
    const c = new Client({ name: 'promote-test', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${e.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
    clients.push(c);
    return c;
  };
  const tenant = async (tier: TierName = 'enterprise') => {
    const t = await stores.tenants.createTenant({ name: `promote-${tier}`, tier });
    const { apiKey } = await stores.tenants.createApiKey(t.tenantId, 'test');
    return { tenantId: t.tenantId, client: await connect(edge, apiKey), shortClient: await connect(shortEdge, apiKey) };
  };
  /** Dispatches a shell task through MCP and waits for it to end. */
  const runTask = async (c: Client, task: string, repo = remote): Promise<string> => {
    const out = await callOk(c, 'dispatch', { agent: 'shell', task, repo });
    const runId = out.runs[0].runId as string;
    const end = await callOk(c, 'wait_for_run', { runId, timeoutSeconds: 120 });
    expect(end.run.status).toBe('succeeded');
    return runId;
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'outpost-promote-'));
    await chmod(tmp, 0o755); // agents run as `nobody` when the tests run as root
    const home = path.join(tmp, 'home');
    await mkdir(home);
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    const seen: { url: string; auth?: string | undefined; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', auth: req.headers.authorization, body });
        const okAuth = req.headers.authorization === `Bearer ${TOKEN}`;
        res.writeHead(okAuth ? 201 : 401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(okAuth ? { html_url: 'https://github.example/acme/widgets/pull/42' } : { message: 'Bad credentials' }));
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    github = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };

    remote = await createBareRemote(tmp, 'acme', 'widgets', { 'README.md': '# widgets\n' });

    const edgeConfig = { ...stack.config, tiers: resolveTiers({}), port: 0, host: '127.0.0.1', authCacheMs: 15_000 };
    const edgeClients = createAwsClients(stack.config);
    promoteJobs = countPromoteJobs(edgeClients);
    edge = await startEdge({ config: edgeConfig, clients: edgeClients });
    // The same edge with a 1 s promote wait, to see `pending` without a worker on the tier.
    const shortClients = createAwsClients(stack.config);
    shortPromoteJobs = countPromoteJobs(shortClients);
    shortEdge = await startEdge({
      config: edgeConfig,
      clients: shortClients,
      tools: TOOLS.map((t) => (t === registerPromote ? promoteTool({ waitMs: 1_000 }) : t)),
    });
    worker = new Worker({
      config: loadWorkerConfig({
        ...stack.env,
        OUTPOST_WORKER_TIER: 'enterprise',
        OUTPOST_WORKER_ROOT: path.join(tmp, 'work'),
        OUTPOST_GITHUB_API_URL: github.url,
      }),
      clients: stack.clients,
      params: new FileParameterStore(path.join(home, 'secrets.json')),
      stores,
    });
    await worker.start();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await worker?.stop({ graceMs: 0 });
    await edge?.close(1_000);
    await shortEdge?.close(1_000);
    await new Promise((r) => github?.server.close(r));
    await stack?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('promotes a run to a branch with its change and message; a second call returns the recorded result and queues nothing', async () => {
    const t = await tenant();
    const runId = await runTask(t.client, 'echo hello > hello.txt');
    const jobsBefore = promoteJobs();
    const out = await callOk(t.client, 'promote', { runId, commitMessage: 'Say hello' });
    expect(out).toMatchObject({ runId, outcome: 'succeeded', recorded: false, promotion: { status: 'succeeded', branch: `outpost/${runId}` } });
    const branch = `outpost/${runId}`;
    expect(git(remote, 'rev-parse', `refs/heads/${branch}`)).toBe(out.promotion.commitSha);
    expect(git(remote, 'show', `${branch}:hello.txt`)).toBe('hello');
    expect(git(remote, 'log', '-1', '--format=%s|%an', branch)).toBe('Say hello|Outpost');

    const again = await callOk(t.client, 'promote', { runId });
    expect(again).toMatchObject({ outcome: 'succeeded', recorded: true, promotion: { commitSha: out.promotion.commitSha, branch } });
    expect(promoteJobs() - jobsBefore).toBe(1);
    const got = await callOk(t.client, 'get_run', { runId });
    expect(got.promotion).toMatchObject({ status: 'succeeded', branch, commitSha: out.promotion.commitSha });

    const other = await callError(t.client, 'promote', { runId, branch: 'elsewhere' });
    expect(other).toMatch(new RegExp(`already promoted to branch ${branch}`));
    expect(promoteJobs() - jobsBefore).toBe(1);
  });

  it("the dashboard's POST /api/runs/:id/promote runs the same promote: a branch in the bare repo, then the recorded result", async () => {
    const t = await stores.tenants.createTenant({ name: 'promote-dashboard', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(t.tenantId, 'test');
    const client = await connect(edge, apiKey);
    const runId = await runTask(client, 'echo web > web.txt');
    const session = await signIn(edge.url, apiKey);
    // A draft needs a pull request: refused with the tool's words, and nothing recorded.
    const draft = await api(edge.url, session, 'POST', `/api/runs/${runId}/promote`, { branch: 'from-dashboard', mode: 'branch', draft: true });
    expect(draft.status).toBe(409);
    expect(((await draft.json()) as { error: { message: string } }).error.message).toMatch(/^draft applies to a pull request only; pass createPullRequest: true/);
    expect((await stores.runs.require(t.tenantId, runId)).promotion).toBeUndefined();
    const res = await api(edge.url, session, 'POST', `/api/runs/${runId}/promote`, { branch: 'from-dashboard', mode: 'branch' });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { outcome: string; recorded: boolean; promotion: { branch: string; commitSha: string } };
    expect(out).toMatchObject({ outcome: 'succeeded', recorded: false, promotion: { status: 'succeeded', branch: 'from-dashboard' } });
    expect(git(remote, 'rev-parse', 'refs/heads/from-dashboard')).toBe(out.promotion.commitSha);
    expect(git(remote, 'show', 'from-dashboard:web.txt')).toBe('web');
    const again = await api(edge.url, session, 'POST', `/api/runs/${runId}/promote`, { branch: 'elsewhere' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/already promoted to branch from-dashboard/);
  });

  it('dispatch, a follow-up, and promote of the chain: the whole change, or one commit per run', async () => {
    const t = await tenant();
    const first = await runTask(t.client, '# Add one\necho one > one.txt');
    const follow = await callOk(t.client, 'dispatch', { continueFrom: first, task: '# Add two\necho two > two.txt' });
    const second = follow.runs[0].runId as string;
    expect((await callOk(t.client, 'wait_for_run', { runId: second, timeoutSeconds: 120 })).run).toMatchObject({ status: 'succeeded', parentRunId: first });

    const whole = await callOk(t.client, 'promote', { runId: second, branch: 'chain-whole', commitMessage: 'Both' });
    expect(whole.promotion.status).toBe('succeeded');
    expect(git(remote, 'log', '--format=%s', 'main..chain-whole')).toBe('Both');
    expect(git(remote, 'show', 'chain-whole:one.txt')).toBe('one');
    expect(git(remote, 'show', 'chain-whole:two.txt')).toBe('two');

    // A promotion is recorded once per run: the per-run form on another follow-up of the same parent.
    const again = await callOk(t.client, 'dispatch', { continueFrom: first, task: '# Add three\necho three > three.txt' });
    const third = again.runs[0].runId as string;
    await callOk(t.client, 'wait_for_run', { runId: third, timeoutSeconds: 120 });
    const perRun = await callOk(t.client, 'promote', { runId: third, branch: 'chain-per-run', commits: 'chain' });
    expect(perRun.promotion).toMatchObject({ status: 'succeeded', commits: 'chain' });
    expect(git(remote, 'log', '--format=%s', 'main..chain-per-run').split('\n')).toEqual(['# Add three', '# Add one']);
  });

  it('opens a pull request with the tenant token, title, head and base', async () => {
    const t = await tenant();
    await new FileParameterStore(path.join(stack.config.home, 'secrets.json')).put(parameterPaths.tenantSecret(stack.config.env, t.tenantId, 'github_token'), TOKEN);
    const runId = await runTask(t.client, 'echo pr > pr.txt');
    const out = await callOk(t.client, 'promote', { runId, branch: 'feature/pr', createPullRequest: true, title: 'Add pr.txt', body: 'Made by a test.' });
    expect(out.promotion).toMatchObject({ status: 'succeeded', pullRequestUrl: 'https://github.example/acme/widgets/pull/42', base: 'main' });
    const req = github.seen.at(-1)!;
    expect(req.url).toBe('/repos/acme/widgets/pulls');
    expect(req.auth).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(req.body)).toMatchObject({ head: 'feature/pr', base: 'main', title: 'Add pr.txt', body: 'Made by a test.' });
    expect(JSON.parse(req.body)).not.toHaveProperty('draft');
    expect(out.promotion).not.toHaveProperty('draft');
    expect(git(remote, 'show', 'feature/pr:pr.txt')).toBe('pr');
  });

  it('opens a draft pull request from the tool and from the dashboard; get_run records draft', async () => {
    const t = await stores.tenants.createTenant({ name: 'promote-draft', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(t.tenantId, 'test');
    const client = await connect(edge, apiKey);
    await new FileParameterStore(path.join(stack.config.home, 'secrets.json')).put(parameterPaths.tenantSecret(stack.config.env, t.tenantId, 'github_token'), TOKEN);

    const runId = await runTask(client, 'echo draft > draft.txt');
    const out = await callOk(client, 'promote', { runId, branch: 'feature/draft', createPullRequest: true, draft: true, title: 'Draft it' });
    expect(out.promotion).toMatchObject({ status: 'succeeded', draft: true, pullRequestUrl: 'https://github.example/acme/widgets/pull/42' });
    expect(JSON.parse(github.seen.at(-1)!.body)).toMatchObject({ head: 'feature/draft', base: 'main', title: 'Draft it', draft: true });
    expect((await callOk(client, 'get_run', { runId })).promotion).toMatchObject({ status: 'succeeded', draft: true });

    const webRun = await runTask(client, 'echo webdraft > webdraft.txt');
    const session = await signIn(edge.url, apiKey);
    const res = await api(edge.url, session, 'POST', `/api/runs/${webRun}/promote`, { branch: 'web/draft', mode: 'pull_request', draft: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'succeeded', promotion: { status: 'succeeded', draft: true } });
    expect(JSON.parse(github.seen.at(-1)!.body)).toMatchObject({ head: 'web/draft', draft: true });
    expect(git(remote, 'show', 'web/draft:webdraft.txt')).toBe('webdraft');
  });

  it('refuses a pull request when the tenant has no github_token, and pushes nothing', async () => {
    const t = await tenant();
    const runId = await runTask(t.client, 'echo x > x.txt');
    const text = await callError(t.client, 'promote', { runId, branch: 'no-token', createPullRequest: true });
    expect(text).toMatch(/missing_secret.*github_token/);
    expect(git(remote, 'branch', '--list', 'no-token')).toBe('');
  });

  it('reports a branch that exists with other history, and allows a retry with another branch', async () => {
    const t = await tenant();
    const runId = await runTask(t.client, 'echo c > c.txt');
    git(remote, 'branch', 'occupied', 'main');
    expect(await callError(t.client, 'promote', { runId, branch: 'occupied' })).toMatch(/branch_exists.*already exists/);
    expect(git(remote, 'rev-parse', 'occupied')).toBe(git(remote, 'rev-parse', 'main'));
    const retry = await callOk(t.client, 'promote', { runId, branch: 'free-name' });
    expect(retry).toMatchObject({ outcome: 'succeeded', recorded: false, promotion: { branch: 'free-name' } });
  });

  describe('refusals', () => {
    let t: Awaited<ReturnType<typeof tenant>>;
    let runId: string;
    beforeAll(async () => {
      t = await tenant();
      runId = await runTask(t.client, 'echo r > r.txt');
    }, 120_000);

    it('a run that does not exist, in get_run’s words', async () => {
      const missing = newRunId();
      expect(await callError(t.client, 'promote', { runId: missing })).toBe(notFoundMessage(missing));
    });

    it('a run that has not succeeded', async () => {
      const p = await tenant('pro'); // no worker serves pro here: the run stays queued
      const out = await callOk(p.client, 'dispatch', { agent: 'shell', task: 'echo q > q.txt', repo: remote });
      expect(await callError(p.client, 'promote', { runId: out.runs[0].runId })).toMatch(/is queued; only a succeeded run can be promoted/);
    });

    it('a run without changes', async () => {
      const none = await runTask(t.client, 'true');
      expect(await callError(t.client, 'promote', { runId: none })).toMatch(/made no changes/);
    });

    it.each([['with..dots'], ['has space'], ['-leading-dash'], ['refs/heads/main'], ['/rooted'], ['ends.lock'], ['a~1'], ['a@{1}'], ['trailing/'], ['x:y']])(
      'branch %j',
      async (branch) => {
        expect(await callError(t.client, 'promote', { runId, branch })).toMatch(/not a valid branch name/);
        expect((await stores.runs.require(t.tenantId, runId)).promotion).toBeUndefined();
      },
    );

    it('draft without a pull request', async () => {
      expect(await callError(t.client, 'promote', { runId, draft: true })).toMatch(/^draft applies to a pull request only/);
      expect((await stores.runs.require(t.tenantId, runId)).promotion).toBeUndefined();
    });

    it('a branch equal to the base, and a bad base name', async () => {
      expect(await callError(t.client, 'promote', { runId, branch: 'dev', base: 'dev' })).toMatch(/is the base/);
      expect(await callError(t.client, 'promote', { runId, base: 'a..b' })).toMatch(/^base .*not a valid branch name/);
    });

    it('the default branch, refused by the worker before anything is pushed', async () => {
      const before = git(remote, 'rev-parse', 'main');
      expect(await callError(t.client, 'promote', { runId, branch: 'main' })).toMatch(/default branch/);
      expect(git(remote, 'rev-parse', 'main')).toBe(before);
    });
  });

  it('answers pending when no worker finishes in time; a second call queues nothing more unless the promotion went stale', async () => {
    const t = await tenant('pro');
    const runId = newRunId();
    await stores.runs.create({ tenantId: t.tenantId, runId, tier: 'pro', agent: 'shell', repo: remote, task: 'x', taskBytes: 1, timeoutSeconds: 60, maxAttempts: 3 });
    const { leaseToken } = await stores.runs.acquireLease({ tenantId: t.tenantId, runId, tier: 'pro', workerId: newWorkerId(), leaseMs: 60_000 });
    await stores.runs.finish({
      tenantId: t.tenantId,
      runId,
      leaseToken,
      status: 'succeeded',
      summary: { durationMs: 1, exitCode: 0, filesChanged: 1, insertions: 1, deletions: 0 },
      artifacts: [{ name: 'patch.diff', key: 'k', bytes: 10 }],
    });
    const before = shortPromoteJobs();
    const first = await call(t.shortClient, 'promote', { runId });
    expect(first.isError).toBeFalsy();
    expect(first.structuredContent).toMatchObject({ outcome: 'pending', recorded: false, promotion: { status: 'pending', branch: `outpost/${runId}` } });
    expect(textOf(first)).toMatch(/get_run/);
    const second = await callOk(t.shortClient, 'promote', { runId });
    expect(second).toMatchObject({ outcome: 'pending', recorded: true });
    expect(shortPromoteJobs() - before).toBe(1);

    // Pending for longer than STALE_PENDING_MS: its job was lost, so asking again re-sends it (once per call).
    const stale = { ...second.promotion, requestedAt: new Date(Date.now() - STALE_PENDING_MS - 60_000).toISOString() };
    await stores.runs.setPromotion({ tenantId: t.tenantId, runId, promotion: stale, expectStatus: 'pending' });
    expect(await callOk(t.shortClient, 'promote', { runId })).toMatchObject({ outcome: 'pending', recorded: true });
    expect(shortPromoteJobs() - before).toBe(2);
  });
});
