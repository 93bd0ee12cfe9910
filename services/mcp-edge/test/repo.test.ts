import { describe, expect, it } from '@jest/globals';
import { checkRepo } from '../src/repo.js';

describe('checkRepo()', () => {
  it.each([
    ['https://github.com/owner/name.git', 'aws'],
    ['https://gitlab.example.com/group/sub/name', 'aws'],
    ['owner/name', 'aws'],
    ['owner/name.js', 'aws'],
    ['/srv/repos/project', 'local'],
    ['file:///srv/repos/project', 'local'],
  ] as const)('accepts %s in %s mode', (repo, mode) => {
    expect(checkRepo(repo, mode)).toEqual({ ok: true, repo });
  });

  it.each([
    ['/srv/repos/project', /only in local mode/],
    ['file:///srv/repos/project', /only in local mode/],
    ['http://github.com/owner/name', /not supported/],
    ['ssh://git@github.com/owner/name', /not supported/],
    ['git@github.com:owner/name.git', /not supported/],
    ['ext::sh -c id', /not allowed/],
    ['-c core.sshCommand=id', /not allowed/],
    ['https://x:y@github.com/owner/name', /credentials/],
    ['https://github.com', /names no repository/],
    ['owner/../name', /not supported/],
    ['', /empty/],
  ])('refuses %p in aws mode', (repo, message) => {
    const result = checkRepo(repo, 'aws');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('refuses a file:// URL naming another host, even in local mode', () => {
    expect(checkRepo('file://server/share/repo', 'local')).toMatchObject({ ok: false });
  });
});
