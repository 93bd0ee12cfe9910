import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { artifactKeys } from '@outpost/shared';
import { startGitHttpServer } from './git-http-server.js';
import { harness, makeRepo, sh, type Harness } from './helpers.js';

const TOKEN = 'ghp_PrivateRepoToken0123456789abcdefABCDEF';

describe('worker › repositories', () => {
  let h: Harness;
  let server: Awaited<ReturnType<typeof startGitHttpServer>>;
  let repo: { dir: string; head: string };
  beforeAll(async () => {
    h = await harness();
    repo = await makeRepo(h.tmp, { branch: 'production' });
    const g = (...a: string[]) => sh('git', ['-c', 'user.name=T', '-c', 'user.email=t@e', ...a], repo.dir);
    g('tag', 'v1');
    g('checkout', '-q', '-b', 'feature');
    sh('sh', ['-c', 'echo feature > feature.txt'], repo.dir);
    g('add', '-A');
    g('commit', '-q', '-m', 'feature');
    g('checkout', '-q', 'production');
    // The same repo served over smart HTTP behind basic auth (user x-access-token, the tenant's token).
    sh('git', ['clone', '-q', '--bare', repo.dir, path.join(h.tmp, 'served', 'private.git')], h.tmp);
    server = await startGitHttpServer({ projectRoot: path.join(h.tmp, 'served'), user: 'x-access-token', password: TOKEN });
    await h.startWorker();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await h?.stop();
  });

  it('clones a private repo over HTTP with the tenant token through GIT_ASKPASS, never in a URL, log or run', async () => {
    await h.setSecret('github_token', TOKEN);
    const run = await h.dispatch({ agent: 'shell', repo: `${server.url}/private.git`, task: 'git remote -v; cat .git/config; ls' });
    const end = await h.waitEnd(run);
    expect(end.error).toBeUndefined();
    expect(end.status).toBe('succeeded');
    expect(end.baseCommit).toBe(repo.head);
    expect(server.seenAuth).toContain(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
    expect(server.seenUrls.join('\n')).not.toContain(TOKEN);
    const objects = await h.s3Objects(artifactKeys.runPrefix(end.tenantId, end.runId));
    for (const o of objects) expect(o.body.toString('latin1')).not.toContain(TOKEN);
    expect(JSON.stringify(end)).not.toContain(TOKEN);
  });

  it('a private repo without a token fails with clone_failed and no credentials anywhere', async () => {
    const run = await h.dispatch({ agent: 'shell', repo: `${server.url}/private.git`, task: 'true', tenantId: 'ten_without_token' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('clone_failed');
  });

  it.each([
    ['a branch', 'feature', 'feature.txt'],
    ['a tag', 'v1', 'README.md'],
  ])('clones at %s', async (_label, ref, file) => {
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, ref, task: `test -f ${file} && echo found` });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('succeeded');
    expect(end.logTail).toContain('found');
  });

  it('clones at a commit sha', async () => {
    const sha = sh('git', ['rev-parse', 'feature'], repo.dir).trim();
    const run = await h.dispatch({ agent: 'shell', repo: `file://${repo.dir}`, ref: sha, task: 'git rev-parse HEAD' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('succeeded');
    expect(end.baseCommit).toBe(sha);
  });

  it.each([
    ['an option', '--upload-pack=touch /tmp/outpost-pwned'],
    ['an ext:: transport', 'ext::sh -c touch% /tmp/outpost-pwned'],
    ['credentials in the URL', 'https://user:secret@example.com/x.git'],
  ])('refuses a repo string that is %s', async (_label, bad) => {
    const run = await h.dispatch({ agent: 'shell', repo: bad, task: 'true' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('invalid_job');
  });

  it('refuses a ref that looks like an option', async () => {
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, ref: '--upload-pack=touch /tmp/outpost-pwned', task: 'true' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('invalid_job');
  });
});
