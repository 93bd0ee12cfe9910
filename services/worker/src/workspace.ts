import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, chown, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { OutpostError, REDACTED, StreamRedactor } from '@outpost/shared';
import { git, gitToStream } from './git.js';
import { checkRef, isCommitSha, type RepoSpec } from './repo-spec.js';
import type { AgentIdentity } from './run-as.js';

const execFileP = promisify(execFile);

export interface DiffStats {
  filesChanged: number;
  insertions: number;
  deletions: number;
}

export interface CollectedChanges extends DiffStats {
  patchFile: string;
  patchBytes: number;
  /** Set when the agent made commits and the bundle could be shared. */
  bundleFile?: string;
  committed: boolean;
  /** The changes contained a secret: the patch has it redacted, and no bundle is shared. */
  secretInChanges: boolean;
}

// The askpass helper reads the token from its own environment, so it never sits in a file,
// an argv, a URL or a git config.
const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "x-access-token" ;;
  *) printf '%s\\n' "$OUTPOST_GIT_TOKEN" ;;
esac
`;

/**
 * A run's directory: `repo/`, `home/` and `tmp/` belong to the agent (its user when the worker is
 * root); `out/` (log, patch, bundle) belongs to the worker alone. Removed after upload.
 */
export class Workspace {
  readonly repoDir: string;
  readonly homeDir: string;
  readonly tmpDir: string;
  readonly outDir: string;

  private constructor(
    readonly dir: string,
    private readonly identity: AgentIdentity | undefined,
    private readonly pathEnv: string,
  ) {
    this.repoDir = path.join(dir, 'repo');
    this.homeDir = path.join(dir, 'home');
    this.tmpDir = path.join(dir, 'tmp');
    this.outDir = path.join(dir, 'out');
  }

  static async create(o: { root: string; name: string; identity: AgentIdentity | undefined; pathEnv: string }): Promise<Workspace> {
    await mkdir(o.root, { recursive: true, mode: 0o711 });
    const dir = path.join(o.root, o.name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o711 });
    await chmod(dir, 0o711);
    const ws = new Workspace(dir, o.identity, o.pathEnv);
    await mkdir(ws.outDir, { mode: 0o700 });
    for (const d of [ws.homeDir, ws.tmpDir]) {
      await mkdir(d, { mode: 0o700 });
      if (o.identity) await chown(d, o.identity.uid, o.identity.gid);
    }
    // A fallback commit identity (the agent's own `-c user.name` or repo config wins): agents may
    // run under a bare uid with no passwd entry, where git cannot guess one.
    const gitconfig = path.join(ws.homeDir, '.gitconfig');
    await writeFile(gitconfig, '[user]\n\tname = Outpost Agent\n\temail = agent@outpost.invalid\n', { mode: 0o600 });
    if (o.identity) await chown(gitconfig, o.identity.uid, o.identity.gid);
    return ws;
  }

  /**
   * Writes files under the agent's HOME (path relative to HOME → content), 0600 and owned by the
   * agent, with any directories they need. A path may not leave HOME.
   */
  async writeHomeFiles(files: Record<string, string>): Promise<void> {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.resolve(this.homeDir, rel);
      if (!file.startsWith(`${this.homeDir}${path.sep}`)) throw new Error(`home file ${rel} is outside HOME`);
      const rels = path.relative(this.homeDir, path.dirname(file)).split(path.sep).filter(Boolean);
      let dir = this.homeDir;
      for (const part of rels) {
        dir = path.join(dir, part);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        if (this.identity) await chown(dir, this.identity.uid, this.identity.gid);
      }
      await writeFile(file, content, { mode: 0o600 });
      if (this.identity) await chown(file, this.identity.uid, this.identity.gid);
    }
  }

  /** Environment for git: nothing of the worker's, no user or system config. */
  gitEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: this.pathEnv,
      HOME: this.homeDir,
      LANG: 'C.UTF-8',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: 'https:http:file',
      GIT_PROTOCOL_FROM_USER: '0',
      ...extra,
    };
  }

  /**
   * Clones `spec` at `ref` (a branch, tag or commit), or at the remote's default branch; shallow
   * where it can. `token` is offered through GIT_ASKPASS to this git process only. Returns the
   * base commit. The clone then belongs to the agent's user.
   */
  async clone(spec: RepoSpec, ref: string | undefined, token: string | undefined): Promise<string> {
    await mkdir(this.repoDir, { mode: 0o755 });
    const extra: Record<string, string> = {};
    if (token) {
      const askpass = path.join(this.outDir, 'askpass.sh');
      await writeFile(askpass, ASKPASS, { mode: 0o700 });
      extra.GIT_ASKPASS = askpass;
      extra.OUTPOST_GIT_TOKEN = token;
    }
    const env = this.gitEnv(extra);
    const o = { cwd: this.repoDir, env };
    if (ref !== undefined) checkRef(ref);
    if (ref === undefined) {
      await git(['clone', '--depth', '1', '--no-tags', '--', spec.url, '.'], o);
    } else if (isCommitSha(ref)) {
      await git(['init', '-q', '.'], o);
      await git(['remote', 'add', 'origin', '--', spec.url], o);
      try {
        await git(['fetch', '--depth', '1', '--no-tags', 'origin', ref], o);
        await git(['checkout', '-q', '--detach', 'FETCH_HEAD'], o);
      } catch {
        // Servers that refuse to serve an unadvertised sha (and short shas): fetch everything.
        await git(['fetch', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*'], o);
        await git(['checkout', '-q', '--detach', ref], o);
      }
    } else {
      await git(['clone', '--depth', '1', '--no-tags', '--branch', ref, '--', spec.url, '.'], o);
    }
    const base = (await git(['rev-parse', 'HEAD'], o)).trim();
    if (this.identity) await execFileP('chown', ['-R', `${this.identity.uid}:${this.identity.gid}`, this.repoDir]);
    return base;
  }

  /**
   * Everything the agent changed against `base`, untracked and binary files included: stats, a
   * redacted patch, and a bundle of its commits. Runs git as the agent's user (the repo's config
   * is the agent's to write, so the worker's privileges must not run it).
   */
  async collect(base: string, secrets: readonly string[]): Promise<CollectedChanges> {
    const o = { cwd: this.repoDir, env: this.gitEnv(), identity: this.identity };
    await git(['add', '-A'], o);
    const numstat = await git(['diff', '--cached', '--numstat', '--no-ext-diff', '--no-textconv', '--no-renames', base], o);
    const stats = parseNumstat(numstat);

    const patchFile = path.join(this.outDir, 'patch.diff');
    const secretInChanges = await redactedCopy(
      (sink) => gitToStream(['diff', '--cached', '--binary', '--no-ext-diff', '--no-textconv', '--no-color', '--no-renames', base], o, sink),
      patchFile,
      secrets,
    );
    const count = Number((await git(['rev-list', '--count', `${base}..HEAD`], o)).trim());
    const committed = Number.isFinite(count) && count > 0;
    let bundleFile: string | undefined;
    if (committed && !secretInChanges) {
      bundleFile = path.join(this.outDir, 'changes.bundle');
      const out = createWriteStream(bundleFile);
      await gitToStream(['bundle', 'create', '-', `${base}..HEAD`], o, out);
      out.end();
      await once(out, 'close');
    }
    return {
      ...stats,
      patchFile,
      patchBytes: (await stat(patchFile)).size,
      ...(bundleFile ? { bundleFile } : {}),
      committed,
      secretInChanges,
    };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

export function parseNumstat(text: string): DiffStats {
  let filesChanged = 0;
  let insertions = 0;
  let deletions = 0;
  for (const line of text.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(line);
    if (!m) continue;
    filesChanged++;
    if (m[1] !== '-') insertions += Number(m[1]);
    if (m[2] !== '-') deletions += Number(m[2]);
  }
  return { filesChanged, insertions, deletions };
}

/**
 * Copies a byte stream to `file` through a StreamRedactor (latin1 round-trip: every byte survives
 * unless it is part of a secret). Returns whether anything was redacted.
 */
export async function redactedCopy(produce: (sink: Writable) => Promise<void>, file: string, secrets: readonly string[]): Promise<boolean> {
  const redactor = new StreamRedactor({ secrets });
  const out = createWriteStream(file, { mode: 0o600 });
  let inMarks = 0;
  let outMarks = 0;
  let carry = '';
  const count = (s: string) => s.split(REDACTED).length - 1;
  const emit = async (text: string) => {
    outMarks += count(text);
    if (text && !out.write(Buffer.from(text, 'latin1'))) await once(out, 'drain');
  };
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const s = chunk.toString('latin1');
      // Count literal markers already in the input, across chunk boundaries.
      const joined = carry + s;
      inMarks += count(joined) - count(carry);
      carry = joined.slice(-(REDACTED.length - 1));
      emit(redactor.push(s)).then(() => cb(), cb);
    },
  });
  await produce(sink);
  sink.end();
  await once(sink, 'finish');
  await emit(redactor.flush());
  out.end();
  await once(out, 'close');
  return outMarks > inMarks;
}

/** The workspace root cannot be used by the agent user (a parent directory is not searchable). */
export class WorkspaceRootError extends OutpostError {
  override readonly name = 'WorkspaceRootError';
  readonly code = 'config';
}

/**
 * Fails at start-up, with a message that says what to change, when agents could not enter their
 * run directories (e.g. OUTPOST_WORKER_ROOT under a 0700 directory while agents run as `nobody`).
 */
export async function checkRootAccess(root: string, identity: AgentIdentity | undefined, user: string): Promise<void> {
  if (!identity) return;
  const probe = path.join(root, `.probe-${process.pid}`);
  await mkdir(probe, { recursive: true, mode: 0o700 });
  try {
    await chown(probe, identity.uid, identity.gid);
    await execFileP('/bin/sh', ['-c', 'cd "$1" && : > ok', 'sh', probe], { uid: identity.uid, gid: identity.gid, env: { PATH: '/usr/bin:/bin' } });
  } catch (err) {
    throw new WorkspaceRootError(
      `agents run as ${user} but cannot use ${root} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); ` +
        'set OUTPOST_WORKER_ROOT to a directory whose parents are searchable by that user',
      { cause: err },
    );
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}
