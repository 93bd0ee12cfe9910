import path from 'node:path';

export type RepoCheck = { ok: true; repo: string } | { ok: false; message: string };

const OWNER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * Validates a dispatch `repo`: an https git URL or `owner/name` (GitHub); in local mode also an
 * absolute path or a file:// URL. Anything git could read as an option or a remote helper
 * (leading `-`, `ext::`, `::`) is refused outright.
 */
export function checkRepo(input: string, mode: 'local' | 'aws'): RepoCheck {
  const repo = input.trim();
  const hint =
    mode === 'local'
      ? 'use an https git URL (https://host/owner/name.git), owner/name, an absolute path or a file:// URL'
      : 'use an https git URL (https://host/owner/name.git) or owner/name';
  if (repo.length === 0) return { ok: false, message: `repo is empty: ${hint}` };
  if (repo.startsWith('-') || repo.includes('::') || /[\0\n\r]/.test(repo)) {
    return { ok: false, message: `repo ${JSON.stringify(input)} is not allowed: ${hint}` };
  }
  if (OWNER_NAME.test(repo) && !repo.includes('..')) return { ok: true, repo };
  if (/^https:\/\//i.test(repo)) {
    let url: URL;
    try {
      url = new URL(repo);
    } catch {
      return { ok: false, message: `repo ${JSON.stringify(input)} is not a valid URL: ${hint}` };
    }
    if (url.username || url.password) {
      return { ok: false, message: 'repo must not carry credentials in the URL; Outpost passes git credentials separately' };
    }
    if (url.pathname.length <= 1) return { ok: false, message: `repo ${JSON.stringify(input)} names no repository: ${hint}` };
    return { ok: true, repo };
  }
  if (/^file:\/\//i.test(repo) || path.isAbsolute(repo)) {
    if (mode !== 'local') return { ok: false, message: `local paths and file:// URLs work only in local mode: ${hint}` };
    if (/^file:\/\//i.test(repo)) {
      try {
        const url = new URL(repo);
        if (url.host && url.host !== 'localhost') return { ok: false, message: `file:// URL must name a local path: ${hint}` };
      } catch {
        return { ok: false, message: `repo ${JSON.stringify(input)} is not a valid URL: ${hint}` };
      }
    }
    return { ok: true, repo };
  }
  return { ok: false, message: `repo ${JSON.stringify(input)} is not supported: ${hint}` };
}
