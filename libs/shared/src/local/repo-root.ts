import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root: the nearest directory above `from` whose package.json declares npm
 * workspaces. Found by looking, not by counting `../` from a module, so a module can move between
 * folders (or run from src/ or dist/) and still find `.outpost` and the other packages.
 */
export function findRepoRoot(from: string | URL = import.meta.url): string {
  const start = typeof from === 'string' && !from.startsWith('file:') ? path.resolve(from) : fileURLToPath(from);
  for (let dir = path.dirname(start); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && hasWorkspaces(manifest)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no npm workspace root above ${start}`);
  }
}

function hasWorkspaces(manifest: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'workspaces' in parsed;
  } catch {
    return false;
  }
}
