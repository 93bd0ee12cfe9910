import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every entry under `root` (itself as '.') with its permission bits, sorted by path; symlinks skipped. */
export async function walk(root: string): Promise<{ path: string; mode: number; dir: boolean }[]> {
  const out: { path: string; mode: number; dir: boolean }[] = [];
  const visit = async (p: string) => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return;
    out.push({ path: path.relative(root, p) || '.', mode: st.mode & 0o777, dir: st.isDirectory() });
    if (st.isDirectory()) for (const name of await readdir(p)) await visit(path.join(p, name));
  };
  await visit(root);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
