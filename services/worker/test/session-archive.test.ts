import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tar from 'tar';
import { claudeAdapter } from '../src/agents/claude.js';
import { packSession, readSessionArchive, SESSION_LIMITS, SessionArchiveRefusedError, safeRelative } from '../src/session-archive.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'outpost-session-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SESSION = '0b5d3c1e-1111-4222-8333-444455556666';
const KEY = 'sk-ant-api03-SessionSecret0123456789abcdefghijkl';

describe('packSession()', () => {
  it('packs the session redacted of secrets and skips a symlink the agent planted', async () => {
    const home = path.join(dir, 'home1');
    const proj = path.join(home, '.claude/projects/-work-run-a0-repo');
    await mkdir(proj, { recursive: true });
    await writeFile(path.join(proj, `${SESSION}.jsonl`), `{"text":"my key is ${KEY}"}\n`);
    await writeFile(path.join(dir, 'outside.txt'), 'the worker\'s file');
    await symlink(path.join(dir, 'outside.txt'), path.join(proj, 'evil.jsonl'));
    const out = path.join(dir, 'one.tar.gz');

    const packed = await packSession({
      home,
      files: [...(await claudeAdapter.session!.files(home, SESSION)), '.claude/projects/-work-run-a0-repo/evil.jsonl', '../outside.txt'],
      out,
      staging: path.join(dir, 'stage1'),
      secrets: [KEY],
    });

    expect(packed).toEqual([`.claude/projects/-work-run-a0-repo/${SESSION}.jsonl`]);
    const files = await readSessionArchive(out);
    const body = files.get(packed[0]!)!.toString('utf8');
    expect(body).not.toContain(KEY);
    expect(body).toContain('my key is');
    // Restored under the new run's project directory.
    expect(claudeAdapter.session!.restorePath(packed[0]!, '/work/run_b-a0/repo')).toBe(`.claude/projects/-work-run-b-a0-repo/${SESSION}.jsonl`);
  });
});

describe('readSessionArchive()', () => {
  /** A tar.gz built by hand: `entries` go in as they are (node-tar's own checks off), as a hostile agent could write one. */
  async function hostile(name: string, build: (cwd: string) => Promise<string[]>, opts: Partial<tar.TarOptionsWithAliasesAsyncFile> = {}): Promise<string> {
    const cwd = path.join(dir, `src-${name}`);
    await mkdir(cwd, { recursive: true });
    const entries = await build(cwd);
    const file = path.join(dir, `${name}.tar.gz`);
    await tar.c({ gzip: true, file, cwd, preservePaths: true, ...opts }, entries);
    return file;
  }

  it.each([
    ['a symlink', (cwd: string) => symlink('/etc/passwd', path.join(cwd, 'link.jsonl')).then(() => ['link.jsonl']), /is a SymbolicLink/],
    ['a path with ..', async (cwd: string) => (await mkdir(path.join(cwd, 'a'), { recursive: true }), await writeFile(path.join(dir, 'up.txt'), 'x'), ['a/../../up.txt']), /not a plain relative path/],
    ['an absolute path', async () => (await writeFile(path.join(dir, 'abs.txt'), 'x'), [path.join(dir, 'abs.txt')]), /not a plain relative path/],
  ])('refuses an archive with %s, whole', async (name, build, why) => {
    const file = await hostile(name.replace(/\W+/g, '-'), build);
    await expect(readSessionArchive(file)).rejects.toThrow(SessionArchiveRefusedError);
    await expect(readSessionArchive(file)).rejects.toThrow(why);
  });

  it('refuses an archive over the size cap, and one that is not a tar at all', async () => {
    const big = await hostile('big', async (cwd) => {
      // Random bytes: a run of zeros would trip node-tar's decompression-ratio guard first (refused too, but not by our cap).
      await writeFile(path.join(cwd, 'big.jsonl'), randomBytes(SESSION_LIMITS.maxFileBytes + 1));
      return ['big.jsonl'];
    });
    await expect(readSessionArchive(big)).rejects.toThrow(/over \d+ bytes/);
    const junk = path.join(dir, 'junk.tar.gz');
    await writeFile(junk, 'not a tarball');
    await expect(readSessionArchive(junk)).rejects.toThrow(SessionArchiveRefusedError);
  });

  it('reads a good archive', async () => {
    const file = await hostile('good', async (cwd) => {
      await mkdir(path.join(cwd, '.codex/sessions/2026/12/03'), { recursive: true });
      await writeFile(path.join(cwd, '.codex/sessions/2026/12/03/rollout-x.jsonl'), '{}\n');
      return ['.codex/sessions/2026/12/03/rollout-x.jsonl'];
    });
    const files = await readSessionArchive(file);
    expect([...files.keys()]).toEqual(['.codex/sessions/2026/12/03/rollout-x.jsonl']);
    expect(await readFile(path.join(dir, 'src-good/.codex/sessions/2026/12/03/rollout-x.jsonl'), 'utf8')).toBe(files.get('.codex/sessions/2026/12/03/rollout-x.jsonl')!.toString());
  });

  it.each(['a/../b', '/abs', '', 'a//b', './a', 'a\\b'])('safeRelative(%j) is false', (p) => {
    expect(safeRelative(p)).toBe(false);
  });
});
