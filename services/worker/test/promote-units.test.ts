import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { branchNameProblem, defaultPromoteBranch } from '@outpost/shared';
import { createPullRequest, githubRepoOf, PullRequestError } from '../src/promote/index.js';

describe('promote › branch names', () => {
  it.each([['feature/login'], ['outpost/run_01JABCDEFGHJKMNPQRSTVWXYZ0'], ['fix-1.2'], ['a.b/c_d'], ['ünïcode'], [defaultPromoteBranch('run_X')]])(
    'accepts %j',
    (name) => {
      expect(branchNameProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ['', /empty/],
    ['a..b', /`\.\.`/],
    ['has space', /spaces/],
    ['tab\there', /spaces or control/],
    ['-rf', /starts with `-`/],
    ['a~1', /`~`/],
    ['a^', /`\^`/],
    ['a:b', /`:`/],
    ['a?', /`\?`/],
    ['a*', /`\*`/],
    ['a[b', /`\[`/],
    ['a\\b', /`\\`/],
    ['a@{u}', /`@\{`/],
    ['@', /HEAD/],
    ['HEAD', /HEAD/],
    ['refs/heads/main', /refs\//],
    ['/main', /starts with `\/`/],
    ['main/', /ends with `\/`/],
    ['a//b', /`\/\/`/],
    ['main.', /ends with `\.`/],
    ['x.lock', /\.lock/],
    ['x.lock/y', /\.lock/],
    ['.hidden', /starts with `\.`/],
    ['a/.b', /starts with `\.`/],
    ['x'.repeat(201), /longer than/],
  ])('refuses %j', (name, why) => {
    const problem = branchNameProblem(name);
    expect(problem).toMatch(/not a valid branch name/);
    expect(problem).toMatch(why);
  });

  it('never accepts a name that `git check-ref-format --branch` rejects', () => {
    const names = ['ok', 'a/b', 'a..b', 'a b', '-x', 'x.lock', '.x', 'a/.x', 'a//b', 'a/', '/a', 'a.', 'a@{b', '@', 'a~b', 'a^b', 'a:b', 'a?b', 'a*b', 'a[b', 'a\\b', 'a\u007fb', 'a@b', 'a{b}', 'a#b', 'x/y.z'];
    for (const name of names) {
      const gitAccepts = spawnSync('git', ['check-ref-format', '--branch', name]).status === 0;
      if (branchNameProblem(name) === undefined) expect({ name, gitAccepts }).toEqual({ name, gitAccepts: true });
    }
    expect(names.filter((n) => branchNameProblem(n) === undefined)).toEqual(['ok', 'a/b', 'a@b', 'a{b}', 'a#b', 'x/y.z']);
  });
});

describe('promote › githubRepoOf', () => {
  it.each([
    ['acme/widgets', { owner: 'acme', name: 'widgets' }],
    ['https://github.com/acme/widgets.git', { owner: 'acme', name: 'widgets' }],
    ['https://github.com/acme/widgets', { owner: 'acme', name: 'widgets' }],
    ['https://ghe.example.com/org/repo.git', { owner: 'org', name: 'repo' }],
    ['/srv/git/acme/widgets.git', { owner: 'acme', name: 'widgets' }],
    ['file:///srv/acme/widgets.git', { owner: 'acme', name: 'widgets' }],
  ])('%s', (repo, expected) => {
    expect(githubRepoOf(repo)).toEqual(expected);
  });

  it.each([['https://github.com/'], ['https://github.com/onlyone'], ['not a url'], ['https://github.com/a/b%20c']])('no owner/name in %j', (repo) => {
    expect(githubRepoOf(repo)).toBeUndefined();
  });
});

describe('promote › createPullRequest', () => {
  const base = { apiUrl: 'https://api.example', token: 'tok_secret_value', repo: { owner: 'acme', name: 'widgets' }, head: 'h', base: 'main', title: 't', body: 'b' };
  const respond = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  it('returns the open pull request when GitHub says one already exists for the head', async () => {
    const calls: { url: string; method: string }[] = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), method: init?.method ?? 'GET' });
      if (init?.method === 'POST') return respond(422, { message: 'Validation Failed', errors: [{ message: 'A pull request already exists for acme:h.' }] });
      return respond(200, [{ html_url: 'https://github.example/acme/widgets/pull/3' }]);
    }) as typeof fetch;
    await expect(createPullRequest({ ...base, fetch: fakeFetch })).resolves.toBe('https://github.example/acme/widgets/pull/3');
    expect(calls[1]).toEqual({ method: 'GET', url: 'https://api.example/repos/acme/widgets/pulls?head=acme%3Ah&base=main&state=open' });
  });

  it('reports GitHub’s message and status on a refusal', async () => {
    const fakeFetch = (async () => respond(422, { message: 'Validation Failed', errors: [{ field: 'base', code: 'invalid' }] })) as typeof fetch;
    const err = await createPullRequest({ ...base, fetch: fakeFetch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullRequestError);
    expect((err as PullRequestError).status).toBe(422);
    expect((err as Error).message).toMatch(/HTTP 422.*Validation Failed.*base/);
  });

  it('turns a network failure into a PullRequestError with status 0', async () => {
    const fakeFetch = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const err = await createPullRequest({ ...base, fetch: fakeFetch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullRequestError);
    expect((err as PullRequestError).status).toBe(0);
  });
});
