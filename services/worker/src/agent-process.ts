import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@outpost/shared';
import type { OutputParser } from './agents/types.js';
import { LineSplitter } from './line-splitter.js';
import type { LogSink, LogStream } from './log-sink.js';
import type { AgentIdentity } from './run-as.js';

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The binary could not be started (not found, not executable). */
  spawnError?: Error;
}

export interface AgentProcessOptions {
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  identity: AgentIdentity | undefined;
  /** An open file descriptor to give the agent as stdin (a large task); else /dev/null. */
  stdinFd?: number | undefined;
  sink: LogSink;
  parser: OutputParser;
  logger: Logger;
}

/** After the agent exits, how long its pipes may stay open (a stray grandchild) before we stop reading. */
const PIPE_CLOSE_WAIT_MS = 2000;

/**
 * One agent process: spawned without a shell, in its own process group (so a stop reaches every
 * child it started), as the unprivileged identity when the worker is root. Its output goes line by
 * line to the parser and the log sink; when the sink falls behind, the pipes are paused, so the
 * agent blocks instead of the worker buffering.
 */
export class AgentProcess {
  readonly exited: Promise<AgentExit>;
  private readonly child: ChildProcess;
  private exitedAt: AgentExit | undefined;
  private stopping: Promise<AgentExit> | undefined;

  constructor(private readonly o: AgentProcessOptions) {
    this.child = spawn(o.bin, o.args, {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: [o.stdinFd ?? 'ignore', 'pipe', 'pipe'],
      ...(o.identity ? { uid: o.identity.uid, gid: o.identity.gid } : {}),
    });
    const out = this.pipe(this.child.stdout, 'out');
    const err = this.pipe(this.child.stderr, 'err');
    this.exited = new Promise<AgentExit>((resolve) => {
      let settled = false;
      const done = (exit: AgentExit) => {
        if (settled) return;
        settled = true;
        this.exitedAt = exit;
        resolve(exit);
      };
      this.child.once('error', (e) => {
        if (this.child.pid === undefined) done({ code: null, signal: null, spawnError: e });
      });
      this.child.once('exit', (code, signal) => {
        // Read what is left in the pipes, but do not wait forever on a grandchild holding them.
        const timer = setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
        }, PIPE_CLOSE_WAIT_MS);
        Promise.all([out, err]).then(() => {
          clearTimeout(timer);
          done({ code, signal });
        }, () => done({ code, signal }));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM to the whole group, then SIGKILL after `graceMs` if it is still there. */
  stop(graceMs: number): Promise<AgentExit> {
    if (this.exitedAt) return Promise.resolve(this.exitedAt);
    this.stopping ??= (async () => {
      this.signalGroup('SIGTERM');
      const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      // Children that ignored SIGTERM and outlived the leader.
      this.signalGroup('SIGKILL');
      return exit;
    })();
    return this.stopping;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  private pipe(stream: NodeJS.ReadableStream | null, name: 'out' | 'err'): Promise<void> {
    if (!stream) return Promise.resolve();
    const splitter = new LineSplitter();
    const tag: LogStream = name;
    stream.setEncoding('utf8');
    return new Promise<void>((resolve) => {
      const handle = (lines: string[]) => {
        if (name === 'out') for (const l of lines) this.o.parser.line(l);
        this.o.sink.append(tag, lines);
      };
      stream.on('data', (chunk: string) => {
        handle(splitter.push(chunk));
        if (this.o.sink.pressure && !stream.isPaused()) {
          stream.pause();
          void this.o.sink.drained().then(() => stream.resume());
        }
      });
      const end = () => {
        handle(splitter.end());
        resolve();
      };
      stream.once('end', end);
      stream.once('close', end);
      stream.once('error', (e) => {
        this.o.logger.warn({ err: e }, `agent ${name} stream error`);
        end();
      });
    });
  }
}
