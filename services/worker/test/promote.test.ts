import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sendJob, silentLogger, type Logger, type Promotion, type RunRecord } from '@outpost/shared';
import { until } from '@outpost/testkit';
import type { JobDeps } from '../src/handle-job.js';
import { promoteHandler } from '../src/promote/index.js';
import { startGitHttpServer } from './git-http-server.js';
import { harness, makeRepo, sh, type Harness } from './helpers.js';

const TOKEN = 'ghp_PromoteToken0123456789abcdefABCDEFxyz';

/** A stand-in for the GitHub REST API: records requests, answers with `respond`. */
async function startFakeGithub(respond: (req: IncomingMessage, body: string) => { status: number; body: unknown }) {
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      const out = respond(req, body);
      res.writeHead(out.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('worker › promote', () => {
  let h: Harness;
  let github: Awaited<ReturnType<typeof startFakeGithub>>;
  let remote: string;
  const git = (dir: string, ...args: string[]) => sh('git', ['-c', 'user.name=T', '-c', 'user.email=t@e', ...args], dir).trim();

  /** A bare repository (default branch `main`) standing in for the user's remote. */
  const bareRemote = async (parent: string, name = 'project.git'): Promise<string> => {
    const src = await makeRepo(h.tmp, { branch: 'main', files: { 'README.md': '# project\n', 'src/app.txt': 'one\ntwo\nthree\n' } });
    await mkdir(parent, { recursive: true });
    const dir = path.join(parent, name);
    sh('git', ['clone', '-q', '--bare', src.dir, dir], h.tmp);
    return dir;
  };

  const runAgent = async (task: string, repo = remote): Promise<RunRecord> => {
    const run = await h.dispatch({ agent: 'shell', repo, task });
    const end = await h.waitEnd(run);
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('succeeded');
    return end;
  };

  /** Records a pending promotion (as the edge does), sends the job, waits for its end. */
  const promote = async (run: RunRecord, p: Partial<Promotion> & { branch: string }): Promise<Promotion> => {
    await h.stores.runs.setPromotion({
      tenantId: run.tenantId,
      runId: run.runId,
      promotion: { status: 'pending', requestedAt: new Date().toISOString(), createPullRequest: false, ...p },
      expectStatus: run.promotion ? run.promotion.status : 'absent',
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: run.tier, tenantId: run.tenantId, runId: run.runId, kind: 'promote' });
    return until(
      async () => {
        const r = await h.stores.runs.require(run.tenantId, run.runId);
        return r.promotion && r.promotion.status !== 'pending' ? r.promotion : undefined;
      },
      { timeoutMs: 60_000, what: 'promotion to end' },
    );
  };

  beforeAll(async () => {
    h = await harness();
    github = await startFakeGithub((req) =>
      req.headers.authorization === `Bearer ${TOKEN}`
        ? { status: 201, body: { html_url: 'https://github.example/acme/widgets/pull/7', number: 7 } }
        : { status: 401, body: { message: `Bad credentials: ${req.headers.authorization ?? ''}` } },
    );
    remote = await bareRemote(path.join(h.tmp, 'remotes'));
    await h.startWorker({ OUTPOST_GITHUB_API_URL: `${github.url}/api/v3/`, OUTPOST_PROMOTE_AUTHOR_NAME: 'Promo Bot', OUTPOST_PROMOTE_AUTHOR_EMAIL: 'promo@example.com' });
  }, 60_000);
  afterAll(async () => {
    await github?.close();
    await h?.stop();
  });

  it('pushes the agent’s uncommitted changes (text, new and binary files) as one commit with the given message', async () => {
    const run = await runAgent("echo changed >> src/app.txt && echo new > added.txt && printf 'a\\000b' > bin.dat && rm README.md");
    const p = await promote(run, { branch: 'feature/one', commitMessage: 'Add the new things\n\nDetails here.' });
    expect(p.error).toBeUndefined();
    expect(p.status).toBe('succeeded');
    expect(git(remote, 'rev-parse', 'refs/heads/feature/one')).toBe(p.commitSha);
    expect(git(remote, 'rev-parse', 'feature/one^')).toBe(run.baseCommit);
    expect(git(remote, 'log', '-1', '--format=%B', 'feature/one')).toBe('Add the new things\n\nDetails here.');
    expect(git(remote, 'log', '-1', '--format=%an <%ae>', 'feature/one')).toBe('Promo Bot <promo@example.com>');
    expect(git(remote, 'show', 'feature/one:added.txt')).toBe('new');
    expect(git(remote, 'show', 'feature/one:src/app.txt')).toBe('one\ntwo\nthree\nchanged');
    expect(sh('git', ['cat-file', 'blob', 'feature/one:bin.dat'], remote)).toBe('a\u0000b');
    expect(git(remote, 'ls-tree', '--name-only', 'feature/one')).not.toContain('README.md');
    // The default branch is untouched.
    expect(git(remote, 'rev-parse', 'main')).toBe(run.baseCommit);
  });

  it('names the run and the task’s first line in the default commit message', async () => {
    const run = await runAgent('# Fix the widget alignment\necho fixed > widget.txt');
    const p = await promote(run, { branch: `outpost/${run.runId}` });
    expect(p.status).toBe('succeeded');
    const message = git(remote, 'log', '-1', '--format=%B', `outpost/${run.runId}`);
    expect(message.split('\n')[0]).toBe('# Fix the widget alignment');
    expect(message).toContain(run.runId);
  });

  it('keeps the agent’s own commits, adding one commit only for what it left uncommitted', async () => {
    const commit = (msg: string) => `git -c user.name=Agent -c user.email=agent@example.com commit -q -m '${msg}'`;
    const run = await runAgent(
      `echo a > a.txt && git add a.txt && ${commit('agent: first')} && echo b > b.txt && git add b.txt && ${commit('agent: second')} && echo left > left.txt`,
    );
    expect(run.summary?.committed).toBe(true);
    expect(run.artifacts?.map((a) => a.name)).toContain('changes.bundle');
    const p = await promote(run, { branch: 'agent-commits', commitMessage: 'Leftovers' });
    expect(p.status).toBe('succeeded');
    expect(git(remote, 'log', '--format=%s|%an', `${run.baseCommit}..agent-commits`).split('\n')).toEqual([
      'Leftovers|Promo Bot',
      'agent: second|Agent',
      'agent: first|Agent',
    ]);
    expect(git(remote, 'show', 'agent-commits:left.txt')).toBe('left');

    // Everything committed: the branch is exactly the agent's commit.
    const clean = await runAgent(`echo c > c.txt && git add c.txt && ${commit('agent: only')}`);
    const q = await promote(clean, { branch: 'agent-only' });
    expect(q.status).toBe('succeeded');
    expect(git(remote, 'log', '-1', '--format=%s|%an', 'agent-only')).toBe('agent: only|Agent');
    expect(git(remote, 'rev-parse', 'agent-only^')).toBe(clean.baseCommit);
  });

  it('pushes to a private remote through GIT_ASKPASS and opens a pull request against the default branch', async () => {
    const served = path.join(h.tmp, 'served');
    const dir = await bareRemote(path.join(served, 'acme'), 'widgets.git');
    const server = await startGitHttpServer({ projectRoot: served, user: 'x-access-token', password: TOKEN });
    try {
      await h.setSecret('github_token', TOKEN);
      const run = await runAgent('echo pr > pr.txt', `${server.url}/acme/widgets.git`);
      const p = await promote(run, { branch: 'outpost/pr', createPullRequest: true, title: 'Add pr.txt', body: 'Please review.' });
      expect(p.error).toBeUndefined();
      expect(p).toMatchObject({ status: 'succeeded', pullRequestUrl: 'https://github.example/acme/widgets/pull/7', base: 'main' });
      expect(git(dir, 'show', 'outpost/pr:pr.txt')).toBe('pr');
      const req = github.seen.at(-1)!;
      expect(req).toMatchObject({ method: 'POST', url: '/api/v3/repos/acme/widgets/pulls', auth: `Bearer ${TOKEN}` });
      expect(JSON.parse(req.body)).toEqual({ title: 'Add pr.txt', head: 'outpost/pr', base: 'main', body: 'Please review.' });
      expect(server.seenUrls.join('\n')).toContain('git-receive-pack');
      expect(server.seenUrls.join('\n')).not.toContain(TOKEN);
      const stored = await h.stores.runs.require(run.tenantId, run.runId);
      expect(stored.promotion?.pullRequestUrl).toBe('https://github.example/acme/widgets/pull/7');
    } finally {
      await server.close();
      await h.setSecret('github_token', '');
    }
  });

  it('opens a draft pull request when the promotion asks for one, and records draft', async () => {
    await h.setSecret('github_token', TOKEN);
    try {
      const run = await runAgent('echo d > d.txt');
      const p = await promote(run, { branch: 'outpost/draft', createPullRequest: true, draft: true, title: 'Draft d.txt' });
      expect(p).toMatchObject({ status: 'succeeded', draft: true, pullRequestUrl: 'https://github.example/acme/widgets/pull/7', base: 'main' });
      const req = github.seen.at(-1)!;
      // The local remote …/remotes/project.git names the GitHub repo remotes/project.
      expect(req).toMatchObject({ method: 'POST', url: '/api/v3/repos/remotes/project/pulls' });
      expect(JSON.parse(req.body)).toMatchObject({ title: 'Draft d.txt', head: 'outpost/draft', base: 'main', draft: true });
      expect((await h.stores.runs.require(run.tenantId, run.runId)).promotion?.draft).toBe(true);
    } finally {
      await h.setSecret('github_token', '');
    }
  });

  it('refuses a pull request without the github_token secret, before pushing anything', async () => {
    const run = await runAgent('echo x > x.txt');
    const p = await promote(run, { branch: 'no-token', createPullRequest: true });
    expect(p.status).toBe('failed');
    expect(p.error?.code).toBe('missing_secret');
    expect(p.error?.message).toMatch(/github_token/);
    expect(git(remote, 'branch', '--list', 'no-token')).toBe('');
  });

  it('records GitHub’s refusal with the branch pushed and no token in the stored error', async () => {
    const run = await runAgent('echo y > y.txt');
    await h.setSecret('github_token', `${TOKEN}-wrong`);
    try {
      const p = await promote(run, { branch: 'pr-refused', createPullRequest: true });
      expect(p.status).toBe('failed');
      expect(p.error?.code).toBe('pull_request_failed');
      expect(p.error?.message).toMatch(/HTTP 401/);
      expect(p.commitSha).toBe(git(remote, 'rev-parse', 'pr-refused'));
      const stored = await h.stores.runs.require(run.tenantId, run.runId);
      expect(JSON.stringify(stored)).not.toContain(TOKEN);
    } finally {
      await h.setSecret('github_token', '');
    }
  });

  it('fails clearly when the branch exists with other history, leaving it as it was', async () => {
    const run = await runAgent('echo z > z.txt');
    git(remote, 'branch', 'taken', 'main');
    const before = git(remote, 'rev-parse', 'taken');
    const p = await promote(run, { branch: 'taken' });
    expect(p.status).toBe('failed');
    expect(p.error?.code).toBe('branch_exists');
    expect(p.error?.message).toMatch(/already exists.*choose another branch/);
    expect(git(remote, 'rev-parse', 'taken')).toBe(before);
  });

  it.each([['main'], ['release']])('never pushes to the default branch or the base (%s)', async (branch) => {
    const run = await runAgent('echo w > w.txt');
    const p = await promote(run, { branch, base: 'release' });
    expect(p.status).toBe('failed');
    expect(p.error?.code).toBe('invalid_job');
    expect(p.error?.message).toMatch(branch === 'main' ? /default branch/ : /is the base/);
    expect(git(remote, 'rev-parse', 'main')).toBe(run.baseCommit);
  });

  it('fails with patch_conflict when the base commit is gone (history rewritten)', async () => {
    const dir = await bareRemote(path.join(h.tmp, 'rewritten'));
    const run = await runAgent('echo v > v.txt', dir);
    const rewritten = git(dir, 'commit-tree', 'main^{tree}', '-m', 'rewritten history');
    git(dir, 'update-ref', 'refs/heads/main', rewritten);
    git(dir, 'reflog', 'expire', '--expire=now', '--all');
    git(dir, 'gc', '-q', '--prune=now');
    const p = await promote(run, { branch: 'after-rewrite' });
    expect(p.status).toBe('failed');
    expect(p.error?.code).toBe('patch_conflict');
    expect(p.error?.message).toMatch(/no longer/);
  });

  it('keeps the token out of logs and the run even when GitHub echoes it back', async () => {
    const run = await runAgent('echo l > l.txt');
    const wrong = `${TOKEN}-echoed`;
    await h.setSecret('github_token', wrong);
    try {
      await h.stores.runs.setPromotion({
        tenantId: run.tenantId,
        runId: run.runId,
        promotion: { status: 'pending', requestedAt: new Date().toISOString(), createPullRequest: true, branch: 'echo' },
        expectStatus: 'absent',
      });
      const lines: string[] = [];
      const spy = (bindings: Record<string, unknown> = {}): Logger => {
        const write = (obj: object, msg?: string) =>
          lines.push(JSON.stringify({ ...bindings, ...obj, msg }, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
        return { debug: write, info: write, warn: write, error: write, child: (b) => spy({ ...bindings, ...b }) };
      };
      const handler = promoteHandler({ config: h.config({ OUTPOST_GITHUB_API_URL: github.url }), s3: h.stack.clients.s3, bucket: h.stores.names.bucket, params: h.params });
      const jobDeps = { runs: h.stores.runs, logger: spy() } as unknown as JobDeps;
      await handler(jobDeps, { v: 1, kind: 'promote', tenantId: run.tenantId, runId: run.runId }, {});
      const stored = await h.stores.runs.require(run.tenantId, run.runId);
      expect(stored.promotion?.error?.code).toBe('pull_request_failed');
      expect(github.seen.at(-1)?.auth).toBe(`Bearer ${wrong}`);
      expect(lines.join('\n')).toMatch(/promotion failed/);
      expect(lines.join('\n')).not.toContain(TOKEN);
      expect(JSON.stringify(stored)).not.toContain(TOKEN);
    } finally {
      await h.setSecret('github_token', '');
    }
  });

  it('is safe under duplicate deliveries: both build the same commit, one result is recorded', async () => {
    const run = await runAgent('echo dup > dup.txt');
    const promotion: Promotion = { status: 'pending', requestedAt: new Date().toISOString(), createPullRequest: false, branch: 'dup' };
    await h.stores.runs.setPromotion({ tenantId: run.tenantId, runId: run.runId, promotion, expectStatus: 'absent' });
    const handler = promoteHandler({ config: h.config(), s3: h.stack.clients.s3, bucket: h.stores.names.bucket, params: h.params });
    const jobDeps = { runs: h.stores.runs, logger: silentLogger } as unknown as JobDeps;
    const job = { v: 1 as const, kind: 'promote' as const, tenantId: run.tenantId, runId: run.runId };
    const outcomes = await Promise.all([handler(jobDeps, job, {}), handler(jobDeps, job, {})]);
    expect(outcomes.every((o) => o.settle)).toBe(true);
    const stored = await h.stores.runs.require(run.tenantId, run.runId);
    expect(stored.promotion?.status).toBe('succeeded');
    expect(git(remote, 'rev-parse', 'dup')).toBe(stored.promotion?.commitSha);
    // A late third delivery finds nothing pending and leaves everything as it is.
    expect(await handler(jobDeps, job, {})).toEqual({ settle: true, reason: 'not_pending' });
  });
});
