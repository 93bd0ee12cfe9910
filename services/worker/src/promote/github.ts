import { OutpostError } from '@outpost/shared';
import path from 'node:path';
import { z } from 'zod';

/** A repository on GitHub (or GitHub Enterprise), as its REST API names it. */
export interface GithubRepo {
  owner: string;
  name: string;
}

const OWNER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const SEGMENT = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Owner and name of a run's repo: `owner/name`, or the last two path segments of a URL
 * (`https://github.com/owner/name.git`, a GitHub Enterprise URL, and in local mode a test
 * server's URL or path). Undefined when the repo string has no such pair.
 */
export function githubRepoOf(repo: string): GithubRepo | undefined {
  let p: string;
  if (OWNER_NAME.test(repo)) p = repo;
  else if (path.isAbsolute(repo)) p = repo;
  else {
    try {
      p = decodeURIComponent(new URL(repo).pathname);
    } catch {
      return undefined;
    }
  }
  const parts = p.split('/').filter(Boolean);
  const owner = parts[parts.length - 2];
  const name = parts[parts.length - 1]?.replace(/\.git$/, '');
  if (!owner || !name || !SEGMENT.test(owner) || !SEGMENT.test(name) || name === '.' || name === '..') return undefined;
  return { owner, name };
}

/** GitHub refused or failed a pull request call; `status` is the HTTP status (0: no response). */
export class PullRequestError extends OutpostError {
  override readonly name = 'PullRequestError';
  readonly code = 'pull_request_failed';
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PullRequestInput {
  /** REST API base without a trailing slash, e.g. `https://api.github.com`. */
  apiUrl: string;
  token: string;
  repo: GithubRepo;
  head: string;
  base: string;
  title: string;
  body: string;
  /** Open it as a draft pull request. @default false */
  draft?: boolean;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 30 s */
  timeoutMs?: number;
}

const PullResponse = z.object({ html_url: z.string() });
const ErrorResponse = z.object({ message: z.string().optional(), errors: z.array(z.unknown()).optional() }).loose();

/**
 * Opens a pull request (POST /repos/{owner}/{repo}/pulls) and returns its html_url. When GitHub
 * answers that one already exists for this head (a duplicate job, or a retry after a recorded
 * failure), the open one is looked up and returned instead.
 */
export async function createPullRequest(i: PullRequestInput): Promise<string> {
  const doFetch = i.fetch ?? fetch;
  const base = `${i.apiUrl}/repos/${encodeURIComponent(i.repo.owner)}/${encodeURIComponent(i.repo.name)}/pulls`;
  const headers = {
    Accept: 'application/vnd.github+json',
    Authorization: `Bearer ${i.token}`,
    'X-GitHub-Api-Version': '2022-11-28',
    'User-Agent': 'outpost-worker',
  };
  const call = async (url: string, init: RequestInit) => {
    try {
      return await doFetch(url, { ...init, headers: { ...headers, ...(init.body ? { 'Content-Type': 'application/json' } : {}) }, signal: AbortSignal.timeout(i.timeoutMs ?? 30_000) });
    } catch (err) {
      throw new PullRequestError(0, `GitHub API at ${i.apiUrl} could not be reached: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  const res = await call(base, { method: 'POST', body: JSON.stringify({ title: i.title, head: i.head, base: i.base, body: i.body, ...(i.draft ? { draft: true } : {}) }) });
  const text = await res.text();
  if (res.status === 201 || res.status === 200) return parseUrl(text, res.status);
  const detail = describeError(text);
  if (res.status === 422 && /already exists/i.test(text)) {
    const q = new URLSearchParams({ head: `${i.repo.owner}:${i.head}`, base: i.base, state: 'open' });
    const found = await call(`${base}?${q.toString()}`, { method: 'GET' });
    const list = z.array(PullResponse).safeParse(safeJson(await found.text()));
    if (found.ok && list.success && list.data[0]) return list.data[0].html_url;
  }
  throw new PullRequestError(res.status, `GitHub refused the pull request (HTTP ${res.status})${detail ? `: ${detail}` : ''}`);
}

function parseUrl(text: string, status: number): string {
  const parsed = PullResponse.safeParse(safeJson(text));
  if (!parsed.success) throw new PullRequestError(status, 'GitHub answered the pull request without an html_url');
  return parsed.data.html_url;
}

function describeError(text: string): string {
  const parsed = ErrorResponse.safeParse(safeJson(text));
  if (!parsed.success) return text.slice(0, 300);
  const extra = parsed.data.errors?.length ? ` ${JSON.stringify(parsed.data.errors).slice(0, 300)}` : '';
  return `${parsed.data.message ?? ''}${extra}`.trim();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
