import path from 'node:path';

/**
 * The one parser of a run's `repo` and `ref`: the edge refuses at dispatch exactly what the worker
 * would refuse after the queue round trip, so a bad repo never costs a queued run or a daily slot.
 */

/** A repo or ref string we refuse to hand to git; the message says what is accepted. */
export class InvalidRepoError extends Error {
  override readonly name = 'InvalidRepoError';
  constructor(
    /** The refused string as given. */
    readonly value: string,
    /** What was wrong with it, written for the caller. */
    readonly reason: string,
    /** Which input it was. @default 'repo' */
    readonly field: 'repo' | 'ref' = 'repo',
    options?: ErrorOptions,
  ) {
    super(`${field} ${JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)} refused: ${reason}`, options);
  }
}

export interface RepoSpec {
  /** What git clones (never carries credentials). */
  url: string;
  /** Host for https/http URLs (credentials are offered only to known hosts). */
  host?: string;
  kind: 'https' | 'http' | 'file';
}

/** Longest repo string accepted (the dispatch schema's limit too). */
export const MAX_REPO_LENGTH = 2048;
/** Longest ref accepted. */
export const MAX_REF_LENGTH = 255;

// GitHub's own rules: an owner is 1–39 letters, digits or inner hyphens; a name has letters,
// digits, `.`, `_`, `-`. `..` and a trailing `.` are refused (GitHub never serves such a name).
const OWNER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

const accepted = (mode: 'local' | 'aws') =>
  mode === 'local'
    ? 'use owner/name (GitHub), an https or http git URL, an absolute path or a file:// URL'
    : 'use owner/name (GitHub) or an https git URL (https://host/owner/name.git)';

/**
 * Parses a run's repo: `owner/name` (GitHub) or an https URL without credentials; in local mode
 * also absolute paths, file:// and http:// URLs. Anything git could read as an option (`-…`) or as
 * a transport helper (`ext::`, `fd::`, `transport::address`) is refused. Throws InvalidRepoError.
 */
export function parseRepo(repo: string, mode: 'local' | 'aws'): RepoSpec {
  const refuse = (reason: string) => new InvalidRepoError(repo, reason);
  if (repo.length === 0) throw refuse(`it is empty: ${accepted(mode)}`);
  if (repo.length > MAX_REPO_LENGTH) throw refuse(`it is longer than ${MAX_REPO_LENGTH} characters`);
  if (repo.startsWith('-')) throw refuse('it starts with `-`, which git would read as an option; not allowed');
  if (repo.includes('::')) throw refuse('git transport helpers (`ext::`, `fd::`) are not allowed');
  if (/[\u0000-\u001f\u007f\s]/.test(repo)) throw refuse('it contains whitespace or control characters');
  if (OWNER_NAME.test(repo)) {
    if (repo.endsWith('.') || repo.includes('..')) throw refuse('a GitHub owner/name never ends with `.` or contains `..`');
    const name = repo.endsWith('.git') ? repo : `${repo}.git`;
    return { url: `https://github.com/${name}`, host: 'github.com', kind: 'https' };
  }
  if (path.isAbsolute(repo)) {
    if (mode !== 'local') throw refuse(`local paths work only in local mode: ${accepted(mode)}`);
    return { url: repo, kind: 'file' };
  }
  let u: URL;
  try {
    u = new URL(repo);
  } catch {
    throw refuse(`this form is not supported: ${accepted(mode)}`);
  }
  switch (u.protocol) {
    case 'https:':
    case 'http:': {
      if (u.username || u.password) throw refuse('credentials do not belong in the URL; store a github_token secret, Outpost passes it to git separately');
      if (u.protocol === 'http:' && mode !== 'local') throw refuse(`plain http:// works only in local mode: ${accepted(mode)}`);
      if (!u.hostname || u.pathname.length <= 1) throw refuse(`the URL names no repository: ${accepted(mode)}`);
      return { url: u.toString(), host: u.hostname, kind: u.protocol === 'https:' ? 'https' : 'http' };
    }
    case 'file:': {
      if (mode !== 'local') throw refuse(`file:// URLs work only in local mode: ${accepted(mode)}`);
      if (u.host && u.host !== 'localhost') throw refuse('a file:// URL must name a path on this machine (file:///path)');
      if (u.pathname.length <= 1) throw refuse('the URL names no repository');
      return { url: u.toString(), kind: 'file' };
    }
    default:
      throw refuse(`${u.protocol.slice(0, -1)} URLs are not supported: ${accepted(mode)}`);
  }
}

/**
 * Checks a ref (branch, tag, commit, or a full `refs/…` name) by git's check-ref-format rules, so
 * git can neither mistake it for an option nor read it as a revision expression (`a..b`, `x@{1}`,
 * `x^`). Throws InvalidRepoError.
 */
export function checkRef(ref: string): void {
  const problem = refProblem(ref);
  if (problem) throw new InvalidRepoError(ref, `not a valid branch, tag or commit: ${problem}`, 'ref');
}

function refProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'it is empty';
  if (ref.length > MAX_REF_LENGTH) return `it is longer than ${MAX_REF_LENGTH} characters`;
  if (/[\u0000-\u0020\u007f]/.test(ref)) return 'it contains spaces or control characters';
  const special = /[~^:?*[\\]/.exec(ref);
  if (special) return `it contains \`${special[0]}\``;
  if (ref.startsWith('-')) return 'it starts with `-` (git would read it as an option)';
  if (ref.includes('..')) return 'it contains `..`';
  if (ref.includes('@{')) return 'it contains `@{`';
  if (ref === '@') return '`@` alone names HEAD';
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return 'it has an empty path component (`/` at an end, or `//`)';
  if (ref.endsWith('.')) return 'it ends with `.`';
  for (const part of ref.split('/')) {
    if (part.startsWith('.')) return 'a path component starts with `.`';
    if (part.endsWith('.lock')) return 'a path component ends with `.lock`';
  }
  return undefined;
}

/** A ref that can only be a commit id (abbreviated or full). */
export const isCommitSha = (ref: string): boolean => /^[0-9a-f]{7,40}$/i.test(ref);
