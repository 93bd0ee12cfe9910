import path from 'node:path';

/** A repo string we refuse to hand to git; the message says what is accepted. */
export class InvalidRepoError extends Error {
  override readonly name = 'InvalidRepoError';
  constructor(readonly repo: string, reason: string) {
    super(`repo ${JSON.stringify(repo.length > 200 ? `${repo.slice(0, 200)}…` : repo)} refused: ${reason}`);
  }
}

export interface RepoSpec {
  /** What git clones (never carries credentials). */
  url: string;
  /** Host for https/http URLs (credentials are offered only to known hosts). */
  host?: string;
  kind: 'https' | 'http' | 'file';
}

const OWNER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * Validates a run's repo: `owner/name` (GitHub) or an https URL without credentials; in local mode
 * also absolute paths, file:// and http:// URLs. Anything git could read as an option (`-…`) or as a
 * transport helper (`ext::`, `fd::`, `transport::address`) is refused.
 */
export function parseRepo(repo: string, mode: 'local' | 'aws'): RepoSpec {
  const r = repo.trim();
  if (r !== repo || r.length === 0 || r.length > 2048) throw new InvalidRepoError(repo, 'empty, too long or padded with spaces');
  if (/[\u0000-\u001f\u007f\s]/.test(r)) throw new InvalidRepoError(repo, 'contains whitespace or control characters');
  if (r.startsWith('-')) throw new InvalidRepoError(repo, 'looks like a command-line option');
  if (r.includes('::')) throw new InvalidRepoError(repo, 'git transport helpers (`ext::`, `fd::`) are not allowed');
  if (OWNER_NAME.test(r) && !r.endsWith('.') && !r.includes('..')) {
    const name = r.endsWith('.git') ? r : `${r}.git`;
    return { url: `https://github.com/${name}`, host: 'github.com', kind: 'https' };
  }
  if (mode === 'local' && path.isAbsolute(r)) return { url: r, kind: 'file' };
  let u: URL;
  try {
    u = new URL(r);
  } catch {
    throw new InvalidRepoError(repo, 'use owner/name or an https URL');
  }
  if (u.username || u.password) throw new InvalidRepoError(repo, 'credentials do not belong in the URL; set the github_token secret');
  if (u.protocol === 'https:') return { url: u.toString(), host: u.hostname, kind: 'https' };
  if (mode === 'local' && u.protocol === 'http:') return { url: u.toString(), host: u.hostname, kind: 'http' };
  if (mode === 'local' && u.protocol === 'file:') return { url: u.toString(), kind: 'file' };
  throw new InvalidRepoError(repo, mode === 'local' ? 'use owner/name, an https/http URL, file:// or an absolute path' : 'use owner/name or an https URL');
}

/** A ref git cannot mistake for an option or a revision expression. */
export function checkRef(ref: string): void {
  if (ref.startsWith('-') || /[\u0000-\u0020\u007f~^:?*[\\]/.test(ref) || ref.includes('..') || ref.includes('@{') || ref.length > 255) {
    throw new InvalidRepoError(ref, 'not a valid branch, tag or commit');
  }
}

export const isCommitSha = (ref: string) => /^[0-9a-f]{7,40}$/i.test(ref);
