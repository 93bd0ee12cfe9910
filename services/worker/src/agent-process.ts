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
  /** Called once when the parser asks for the agent to be stopped (its output shows a fatal failure). */
  onStop?: () => void;
}

/** After the agent exits, how long its pipes may stay open (a stray grandchild) before we stop reading. */
const PIPE_CLOSE_WAIT_MS = 2000;

/**
 * Waits for end of input, then kills the agent's process group. Its stdin is a pipe only this
 * worker holds open: if the worker dies, even by SIGKILL, the kernel closes it and the agent dies
 * too — otherwise it would keep running while the run is retried elsewhere (twice at once). On
 * ECS the task's death does this already; locally nothing else would.
 */
const WATCHDOG_SCRIPT = 'read _; kill -s KILL -- -"$1" 2>/dev/null';

/**
 * One agent process: spawned without a shell, in its own process group (so a stop reaches every
 * child it started), as the unprivileged identity when the worker is root. Its output goes line by
 * line to the parser and the log sink; when the sink falls behind, the pipes are paused, so the
 * agent blocks instead of the worker buffering.
 */
export class AgentProcess {
  readonly exited: Promise<AgentExit>;
  private readonly child: ChildProcess;
  private readonly watchdog: ChildProcess | undefined;
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
    this.watchdog = this.child.pid === undefined ? undefined : startWatchdog(this.child.pid, o.logger);
    const out = this.pipe(this.child.stdout, 'out');
    const err = this.pipe(this.child.stderr, 'err');
    this.exited = new Promise<AgentExit>((resolve) => {
      let settled = false;
      const done = (exit: AgentExit) => {
        if (settled) return;
        settled = true;
        // Releasing the watchdog kills what is left of the group (strays that outlived the leader).
        this.watchdog?.stdin?.end();
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

  private stopAsked = false;
  private askStop(): void {
    if (this.stopAsked) return;
    this.stopAsked = true;
    this.o.onStop?.();
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
        for (const l of lines) if (this.o.parser.line(l, name) === 'stop') this.askStop();
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

/** The watchdog of one agent group (WATCHDOG_SCRIPT); it never keeps the worker's event loop alive. */
function startWatchdog(pgid: number, logger: Logger): ChildProcess | undefined {
  try {
    const dog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'outpost-agent-watchdog', String(pgid)], {
      detached: true, // its own group: a stop of the agent's group must not take it down first
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    dog.on('error', (err) => logger.warn({ err }, 'agent watchdog failed; an agent may outlive a crashed worker'));
    dog.stdin?.on('error', () => {}); // EPIPE if it is gone: nothing to do
    dog.unref();
    (dog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
    return dog;
  } catch (err) {
    logger.warn({ err }, 'agent watchdog failed; an agent may outlive a crashed worker');
    return undefined;
  }
}
