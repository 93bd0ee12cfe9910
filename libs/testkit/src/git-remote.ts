import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** git with a fixed identity and no system config, in `dir`. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@e', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
}

/**
 * A bare repository at `<tmp>/remotes/<owner>/<name>.git` with one commit on `main` holding
 * `files` (a local-mode repo spec a worker clones), built from a work tree at `<tmp>/src-<name>`.
 */
export async function createBareRemote(tmp: string, owner: string, name: string, files: Record<string, string>): Promise<string> {
  const src = path.join(tmp, `src-${name}`);
  await mkdir(src, { recursive: true });
  git(src, 'init', '-q', '-b', 'main');
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(src, file), text);
  git(src, 'add', '-A');
  git(src, 'commit', '-q', '-m', 'initial');
  const remote = path.join(tmp, 'remotes', owner, `${name}.git`);
  await mkdir(path.dirname(remote), { recursive: true });
  git(tmp, 'clone', '-q', '--bare', src, remote);
  return remote;
}
