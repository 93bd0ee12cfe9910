import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { newLocalCredentials, readLocalCredentials, writeLocalCredentials, type LocalCredentials, type Logger } from '@outpost/shared';

/**
 * Makes `root` and everything under it the stack user's alone: directories 0700, files 0600.
 * The launcher runs it over OUTPOST_HOME (emulator data, local.json, secrets.json,
 * credentials.json, endpoints.json, fleet.json) on every start, so files an older version (or a
 * umask) left open are closed too: agents run as other users on the same machine, and a
 * world-readable store file hands them other tenants' runs. Symlinks are neither followed nor
 * changed. Returns how many entries it changed.
 *
 * Files the emulators create later (LevelDB's tables and logs, under the default umask) may be
 * 0644, but they sit in 0700 directories, which nobody else can enter.
 */
export async function makePrivate(root: string): Promise<number> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  return fix(root, 0o700);
}

async function fix(entry: string, want: number): Promise<number> {
  let st;
  try {
    st = await lstat(entry);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0; // removed meanwhile (LevelDB compacts)
    throw err;
  }
  if (st.isSymbolicLink()) return 0;
  let changed = 0;
  if ((st.mode & 0o777) !== want) {
    await chmod(entry, want);
    changed++;
  }
  if (st.isDirectory()) {
    for (const d of await readdir(entry, { withFileTypes: true })) {
      if (d.isSymbolicLink()) continue;
      changed += await fix(path.join(entry, d.name), d.isDirectory() ? 0o700 : 0o600);
    }
  }
  return changed;
}

/**
 * The stack's key pair: the one in `home`/credentials.json when it is there and well formed
 * (restarts keep it, so admin commands and running services agree), else a new random one,
 * written 0600 before anything uses it.
 */
export async function ensureStackCredentials(home: string, logger?: Pick<Logger, 'info'>): Promise<LocalCredentials> {
  const existing = readLocalCredentials(home);
  if (existing) return existing;
  const made = newLocalCredentials();
  await writeLocalCredentials(home, made);
  logger?.info({ accessKeyId: made.accessKeyId }, 'made the local stack credentials');
  return made;
}
