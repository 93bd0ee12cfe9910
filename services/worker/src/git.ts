import { OutpostError } from '@outpost/shared';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { AgentIdentity } from './run-as.js';

/** A git command failed; the message carries git's last stderr lines (callers redact before storing). */
export class GitError extends OutpostError {
  override readonly name = 'GitError';
  readonly code = 'upstream_failed';
  constructor(
    readonly args: readonly string[],
    /** git's exit code; null when a signal ended it. */
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ''} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

export interface GitOptions {
  cwd: string;
  env: Record<string, string>;
  identity?: AgentIdentity | undefined;
  /** Stream stdout here instead of capturing it (diffs, which can be large). */
  stdout?: (chunk: Buffer) => void;
  /** @default 10 minutes */
  timeoutMs?: number;
}

const MAX_CAPTURE = 4 * 1024 * 1024;

// Config that must hold whatever the repo's own .git/config says: no hooks, no fsmonitor,
// no credential helpers that would store a token.
const SAFE_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'credential.helper=', '-c', 'protocol.ext.allow=never'];

/** Runs git without a shell; resolves stdout (captured, bounded) or throws GitError. */
export async function git(args: string[], o: GitOptions): Promise<string> {
  const out: Buffer[] = [];
  let outBytes = 0;
  await runGit(args, o, (stdout) =>
    stdout.on('data', (c: Buffer) => {
      if (o.stdout) return o.stdout(c);
      if (outBytes < MAX_CAPTURE) out.push(c);
      outBytes += c.length;
    }),
  );
  return Buffer.concat(out).toString('utf8');
}

/** Pipes git's stdout into a writable with backpressure (the diff of a large change never sits in memory). */
export function gitToStream(args: string[], o: Omit<GitOptions, 'stdout'>, sink: Writable): Promise<void> {
  return runGit(args, o, (stdout) => stdout.pipe(sink, { end: false }));
}

/** One git process: safe config, the caller's identity, a timeout, and stderr kept for GitError. */
function runGit(args: string[], o: Omit<GitOptions, 'stdout'>, attach: (stdout: Readable) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...SAFE_CONFIG, ...args], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(o.identity ? { uid: o.identity.uid, gid: o.identity.gid } : {}),
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString('utf8')).slice(-8192);
    });
    attach(child.stdout);
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new GitError(args, code, err));
    });
  });
}
