import { describe, expect, it } from '@jest/globals';
import { checkRef, InvalidRepoError, isCommitSha, parseRepo, type RepoSpec } from '../src/index.js';

type Mode = 'local' | 'aws';
type Expected = Omit<RepoSpec, 'host'> | RegExp;

// The one table of what a run's repo may be. The edge refuses at dispatch and the worker refuses
// after the queue from this same parser, so a row here is the answer in both places.
const REPOS: [string, Mode, Expected][] = [
  // GitHub owner/name
  ['octo/hello', 'aws', { url: 'https://github.com/octo/hello.git', kind: 'https' }],
  ['octo/hello.git', 'aws', { url: 'https://github.com/octo/hello.git', kind: 'https' }],
  ['owner/name.js', 'aws', { url: 'https://github.com/owner/name.js.git', kind: 'https' }],
  ['owner/.github', 'aws', { url: 'https://github.com/owner/.github.git', kind: 'https' }],
  ['owner/name.', 'aws', /never ends with `\.`/],
  ['owner/name.', 'local', /never ends with `\.`/],
  ['owner/..', 'aws', /contains `\.\.`/],
  ['owner/a..b', 'aws', /contains `\.\.`/],
  ['owner/../name', 'aws', /not supported/],
  ['../other', 'local', /not supported/],
  ['octo', 'aws', /not supported/],
  // https
  ['https://github.com/octo/hello.git', 'aws', { url: 'https://github.com/octo/hello.git', kind: 'https' }],
  ['https://gitlab.example.com/group/sub/name', 'aws', { url: 'https://gitlab.example.com/group/sub/name', kind: 'https' }],
  ['https://github.com/a/b c', 'aws', /whitespace/],
  ['https://github.com/a/b c', 'local', /whitespace/],
  ['https://github.com', 'aws', /names no repository/],
  ['https://github.com/', 'aws', /names no repository/],
  ['https://u:p@github.com/o/r.git', 'aws', /credentials/],
  ['https://token@github.com/o/r.git', 'local', /credentials/],
  // http: local only
  ['http://127.0.0.1:9/x.git', 'local', { url: 'http://127.0.0.1:9/x.git', kind: 'http' }],
  ['http://github.com/a/b.git', 'local', { url: 'http://github.com/a/b.git', kind: 'http' }],
  ['http://example.com/x.git', 'aws', /only in local mode/],
  // local paths and file:// URLs: local only
  ['/srv/repos/x', 'local', { url: '/srv/repos/x', kind: 'file' }],
  ['file:///srv/repos/x', 'local', { url: 'file:///srv/repos/x', kind: 'file' }],
  ['file://localhost/srv/repos/x', 'local', { url: 'file:///srv/repos/x', kind: 'file' }],
  ['/srv/repos/x', 'aws', /only in local mode/],
  ['file:///etc', 'aws', /only in local mode/],
  ['file://server/share/repo', 'local', /path on this machine/],
  // what git could run or read as an option
  ['-uhelp', 'local', /option/],
  ['--upload-pack=touch /tmp/x', 'aws', /option/],
  ['--upload-pack=x', 'aws', /option/],
  ['ext::sh -c x', 'local', /not allowed/],
  ['ext::sh', 'local', /not allowed/],
  ['fd::3', 'local', /not allowed/],
  ['octo/hello\n--x', 'aws', /control/],
  ['octo/hello\0', 'local', /control/],
  [' octo/hello', 'aws', /whitespace/],
  ['octo/hello ', 'aws', /whitespace/],
  ['', 'aws', /empty/],
  [`https://github.com/${'a'.repeat(2048)}`, 'aws', /longer than 2048/],
  // other transports
  ['ssh://git@github.com/o/r.git', 'aws', /ssh URLs are not supported/],
  ['ssh://github.com/o/r.git', 'aws', /ssh URLs are not supported/],
  ['git://github.com/o/r.git', 'local', /git URLs are not supported/],
  ['git@github.com:owner/name.git', 'aws', /not supported/],
];

const REFS: [string, boolean][] = [
  ['main', true],
  ['feature/x-1', true],
  ['v1.2.3', true],
  ['refs/heads/main', true],
  ['0123abc', true],
  ['0123456789abcdef0123456789abcdef01234567', true],
  ['a..b', false],
  ['x@{1}', false],
  ['@', false],
  ['HEAD~1', false],
  ['HEAD^', false],
  ['a:b', false],
  ['a b', false],
  ['a\nb', false],
  ['-x', false],
  ['--upload-pack=touch /tmp/x', false],
  ['feature/', false],
  ['/feature', false],
  ['a//b', false],
  ['a.', false],
  ['.hidden', false],
  ['a/.b', false],
  ['x.lock', false],
  ['a*', false],
  ['a?', false],
  ['a[b', false],
  ['a\\b', false],
  ['', false],
  ['x'.repeat(256), false],
];

describe('parseRepo()', () => {
  it.each(REPOS)('%j in %s mode → %p', (repo, mode, expected) => {
    if (expected instanceof RegExp) {
      let err: unknown;
      try {
        parseRepo(repo, mode);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidRepoError);
      expect((err as InvalidRepoError).message).toMatch(expected);
      expect((err as InvalidRepoError).message).toMatch(/^repo ".*" refused: /s);
      expect((err as InvalidRepoError).field).toBe('repo');
    } else {
      expect(parseRepo(repo, mode)).toMatchObject(expected);
    }
  });

  it('offers credentials only where it knows the host: https and http URLs carry it, paths do not', () => {
    expect(parseRepo('octo/hello', 'aws').host).toBe('github.com');
    expect(parseRepo('https://GitLab.example.com/a/b', 'aws').host).toBe('gitlab.example.com');
    expect(parseRepo('/srv/repos/x', 'local').host).toBeUndefined();
  });

  it('says what is accepted in the mode it runs in', () => {
    expect(() => parseRepo('../x', 'local')).toThrow(/absolute path/);
    expect(() => parseRepo('../x', 'aws')).not.toThrow(/absolute path/);
  });

  it('cuts a long refused string in its message', () => {
    expect(() => parseRepo(`-${'x'.repeat(5000)}`, 'aws')).toThrow(/x…" refused/);
  });
});

describe('checkRef()', () => {
  it.each(REFS)('%j accepted: %s', (ref, ok) => {
    if (ok) {
      expect(() => checkRef(ref)).not.toThrow();
      return;
    }
    let err: unknown;
    try {
      checkRef(ref);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidRepoError);
    expect((err as InvalidRepoError).field).toBe('ref');
    expect((err as InvalidRepoError).message).toMatch(/^ref ".*" refused: not a valid branch, tag or commit: /s);
  });
});

describe('isCommitSha()', () => {
  it.each([
    ['0123abc', true],
    ['0123456789ABCDEF0123456789abcdef01234567', true],
    ['0123ab', false],
    ['main', false],
  ] as const)('%s → %s', (ref, sha) => expect(isCommitSha(ref)).toBe(sha));
});
