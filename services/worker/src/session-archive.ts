import { constants } from 'node:fs';
import { lstat, mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { OutpostError, redact } from '@outpost/shared';

/** Bounds of a session archive; an archive past any of them is refused whole. */
export const SESSION_LIMITS = {
  maxEntries: 64,
  maxFileBytes: 16 * 1024 * 1024,
  maxTotalBytes: 32 * 1024 * 1024,
} as const;

/** A session archive that is not what the worker writes: refused whole, the follow-up gets context instead. */
export class SessionArchiveRefusedError extends OutpostError {
  override readonly name = 'SessionArchiveRefusedError';
  readonly code = 'invalid_input';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`session archive refused: ${reason}`, options);
  }
}

/**
 * Packs session files (paths relative to HOME) into a gzipped tar, each redacted of secrets and
 * token-shaped text first. HOME belongs to the agent, so a path that is not a regular file (a
 * symlink it planted) is skipped, and files are opened without following links. Returns the
 * entries packed (none: no archive is written).
 */
export async function packSession(o: { home: string; files: readonly string[]; out: string; staging: string; secrets: readonly string[] }): Promise<string[]> {
  await rm(o.staging, { recursive: true, force: true });
  await mkdir(o.staging, { recursive: true, mode: 0o700 });
  const packed: string[] = [];
  let total = 0;
  for (const rel of o.files.slice(0, SESSION_LIMITS.maxEntries)) {
    if (!safeRelative(rel)) continue;
    const file = path.join(o.home, rel);
    const st = await lstat(file).catch(() => undefined);
    if (!st?.isFile() || st.size > SESSION_LIMITS.maxFileBytes || total + st.size > SESSION_LIMITS.maxTotalBytes) continue;
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: string;
    try {
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
    const clean = redact(text, o.secrets);
    const dest = path.join(o.staging, rel);
    await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    await writeFile(dest, clean, { mode: 0o600 });
    total += Buffer.byteLength(clean);
    packed.push(rel);
  }
  if (packed.length > 0) await tar.c({ gzip: true, file: o.out, cwd: o.staging, portable: true, noDirRecurse: true }, packed);
  await rm(o.staging, { recursive: true, force: true });
  return packed;
}

/**
 * Reads a session archive into memory, checking every entry before anything is written: regular
 * files only (no links, devices or directories), relative paths without `..`, and the size caps.
 * Throws SessionArchiveRefusedError on the first entry that breaks a rule.
 */
export async function readSessionArchive(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let refusal: string | undefined;
  let total = 0;
  const refuse = (why: string) => {
    refusal ??= why;
  };
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const name = entry.path;
        if (entry.type === 'Directory') return entry.resume();
        if (entry.type !== 'File' && entry.type !== 'OldFile') refuse(`${name} is a ${entry.type}, not a regular file`);
        else if (!safeRelative(name)) refuse(`${name} is not a plain relative path`);
        else if (files.size >= SESSION_LIMITS.maxEntries) refuse(`more than ${SESSION_LIMITS.maxEntries} entries`);
        else if (entry.size > SESSION_LIMITS.maxFileBytes) refuse(`${name} is over ${SESSION_LIMITS.maxFileBytes} bytes`);
        else if (total + entry.size > SESSION_LIMITS.maxTotalBytes) refuse(`over ${SESSION_LIMITS.maxTotalBytes} bytes in all`);
        if (refusal) return entry.resume();
        total += entry.size;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => files.set(path.posix.normalize(name), Buffer.concat(chunks)));
      },
    });
  } catch (err) {
    throw new SessionArchiveRefusedError(`unreadable (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (refusal) throw new SessionArchiveRefusedError(refusal);
  return files;
}

/** A relative POSIX path that stays below its root: no absolute path, no `..`, no empty or odd segment. */
export function safeRelative(rel: string): boolean {
  if (rel.length === 0 || rel.length > 512 || rel.includes('\0') || rel.includes('\\')) return false;
  if (path.posix.isAbsolute(rel)) return false;
  const parts = rel.split('/');
  return parts.every((p) => p !== '' && p !== '.' && p !== '..');
}
