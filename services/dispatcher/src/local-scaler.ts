import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { type Logger, newWorkerId, OutpostError, silentLogger, type TierName, type WorkerRegistry } from '@outpost/shared';
import type { PoolObservation, Scaler } from './scaler.js';

/** The worker entry file does not exist (build the worker first). */
export class WorkerEntryMissingError extends OutpostError {
  override readonly name = 'WorkerEntryMissingError';
  readonly code = 'config';
  constructor(readonly entry: string) {
    super(`worker entry ${entry} does not exist; run \`npx turbo run build --filter=@outpost/worker...\``);
  }
}

export interface LocalScalerOptions {
  workers: Pick<WorkerRegistry, 'listLive'>;
  /** The worker's process entry (services/worker/dist/main.js). */
  entry: string;
  /** Environment of every worker; OUTPOST_WORKER_TIER and OUTPOST_WORKER_ID are added per child. */
  env: Record<string, string>;
  /** Extra environment per tier (e.g. OUTPOST_WORKER_CONCURRENCY from the tier's runsPerWorker). */
  tierEnv?: (tier: TierName) => Record<string, string>;
  logger?: Logger;
  /** First restart delay after a crash; doubles per crash in a row. @default 1000 */
  restartBackoffMs?: number;
  /** @default 60000 */
  maxRestartBackoffMs?: number;
  /**
   * How long stop() waits for a draining worker before SIGKILL. Below the local launcher's 110 s
   * budget for the dispatcher, so workers are never orphaned by a launcher SIGKILL. @default 105000
   */
  stopTimeoutMs?: number;
  /** A worker that ran this long before dying starts the backoff afresh. @default 60000 */
  healthyAfterMs?: number;
  /** Where worker output goes: inherited, dropped, or one file per worker in this directory. @default 'inherit' */
  output?: 'inherit' | 'ignore' | { dir: string };
  /** Extra node arguments for the children (tests). @default [] */
  nodeArgs?: string[];
}

interface Child {
  workerId: string;
  tier: TierName;
  proc: ChildProcess;
  startedAt: number;
  stopping: boolean;
  exited: Promise<void>;
}

interface CrashState {
  inARow: number;
  retryAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * The local fleet: worker child processes per tier. Grows at once; shrinks by sending SIGTERM to
 * workers whose heartbeat says idle (a worker drains before it exits, so even a race with a new
 * job loses nothing); restarts a worker that exited without being asked, with exponential backoff.
 */
export class LocalScaler implements Scaler {
  readonly source = 'local' as const;
  private readonly children = new Map<string, Child>();
  private readonly targets = new Map<TierName, number>();
  private readonly crashes = new Map<TierName, CrashState>();
  private readonly logger: Logger;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: LocalScalerOptions) {
    this.logger = opts.logger ?? silentLogger;
  }

  /** Worker ids of a tier's live (not stopping) children. */
  workerIds(tier: TierName): string[] {
    return this.alive(tier).map((c) => c.workerId);
  }

  /** The child process of a worker id (tests kill workers through this). */
  pidOf(workerId: string): number | undefined {
    return this.children.get(workerId)?.proc.pid;
  }

  async observe(tier: TierName): Promise<PoolObservation> {
    const alive = this.alive(tier);
    const live = new Set((await this.opts.workers.listLive(tier)).map((hb) => hb.workerId));
    const running = alive.filter((c) => live.has(c.workerId)).length;
    return { desired: this.targets.get(tier) ?? alive.length, running, pending: alive.length - running };
  }

  async apply(tier: TierName, desired: number): Promise<void> {
    this.targets.set(tier, desired);
    await this.serialized(() => this.reconcile(tier));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const crash of this.crashes.values()) clearTimeout(crash.timer);
    await this.chain.catch(() => undefined);
    const all = [...this.children.values()];
    await Promise.all(all.map((c) => this.terminate(c, this.opts.stopTimeoutMs ?? 105_000)));
  }

  private alive(tier: TierName): Child[] {
    return [...this.children.values()].filter((c) => c.tier === tier && !c.stopping);
  }

  private serialized(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async reconcile(tier: TierName): Promise<void> {
    if (this.stopped) return;
    const target = this.targets.get(tier) ?? 0;
    const alive = this.alive(tier);
    if (alive.length < target) {
      const crash = this.crashes.get(tier);
      if (crash && crash.retryAt > Date.now()) {
        this.scheduleRetry(tier, crash);
        return;
      }
      if (!existsSync(this.opts.entry)) throw new WorkerEntryMissingError(this.opts.entry);
      for (let i = alive.length; i < target; i++) this.spawnWorker(tier);
      return;
    }
    if (alive.length > target) {
      // Only workers that report idle with no runs are stopped; a worker with no heartbeat yet
      // (starting) or a busy one is left alone and reconsidered next tick.
      const heartbeats = await this.opts.workers.listLive(tier);
      const idle = new Set(heartbeats.filter((hb) => hb.state === 'idle' && hb.currentRuns.length === 0).map((hb) => hb.workerId));
      const candidates = alive.filter((c) => idle.has(c.workerId)).sort((a, b) => b.startedAt - a.startedAt);
      for (const child of candidates.slice(0, alive.length - target)) {
        this.logger.info({ tier, workerId: child.workerId }, 'stopping an idle worker');
        child.stopping = true;
        child.proc.kill('SIGTERM');
      }
    }
  }

  private spawnWorker(tier: TierName): void {
    const workerId = newWorkerId();
    const output = this.opts.output ?? 'inherit';
    let fd: number | undefined;
    if (typeof output === 'object') {
      mkdirSync(output.dir, { recursive: true });
      fd = openSync(path.join(output.dir, `${tier}-${workerId}.log`), 'a');
    }
    const stdio = fd !== undefined ? fd : output === 'inherit' ? 'inherit' : 'ignore';
    const proc = spawn(process.execPath, [...(this.opts.nodeArgs ?? []), this.opts.entry], {
      env: { ...this.opts.env, ...this.opts.tierEnv?.(tier), OUTPOST_WORKER_TIER: tier, OUTPOST_WORKER_ID: workerId },
      // The IPC channel lets the worker notice if this dispatcher dies (stopWhenParentExits).
      stdio: ['ignore', stdio, stdio, 'ipc'],
    });
    if (fd !== undefined) closeSync(fd);
    let onExit!: () => void;
    const exited = new Promise<void>((resolve) => (onExit = resolve));
    const child: Child = { workerId, tier, proc, startedAt: Date.now(), stopping: false, exited };
    this.children.set(workerId, child);
    this.logger.info({ tier, workerId, pid: proc.pid }, 'started a worker');
    proc.on('error', (err) => this.logger.error({ tier, workerId, err }, 'worker process error'));
    proc.on('exit', (code, signal) => {
      this.children.delete(workerId);
      onExit();
      if (child.stopping || this.stopped) {
        this.logger.info({ tier, workerId, code, signal }, 'worker stopped');
        return;
      }
      this.onCrash(child, code, signal);
    });
  }

  private onCrash(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    const base = this.opts.restartBackoffMs ?? 1000;
    const ranLong = Date.now() - child.startedAt >= (this.opts.healthyAfterMs ?? 60_000);
    const previous = this.crashes.get(child.tier);
    const inARow = ranLong || !previous ? 1 : previous.inARow + 1;
    const delay = Math.min(base * 2 ** (inARow - 1), this.opts.maxRestartBackoffMs ?? 60_000);
    clearTimeout(previous?.timer);
    const crash: CrashState = { inARow, retryAt: Date.now() + delay };
    this.crashes.set(child.tier, crash);
    this.logger.warn({ tier: child.tier, workerId: child.workerId, code, signal, restartInMs: delay, inARow }, 'worker exited unexpectedly; restarting it');
    this.scheduleRetry(child.tier, crash);
  }

  private scheduleRetry(tier: TierName, crash: CrashState): void {
    if (crash.timer || this.stopped) return;
    crash.timer = setTimeout(() => {
      crash.timer = undefined;
      void this.serialized(() => this.reconcile(tier)).catch((err: unknown) =>
        this.logger.error({ tier, err }, 'could not restart a worker'),
      );
    }, Math.max(0, crash.retryAt - Date.now()));
    crash.timer.unref();
  }

  private async terminate(child: Child, timeoutMs: number): Promise<void> {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    // One SIGTERM per worker: a worker scaled in is already draining, and a repeat says nothing
    // new (the escalation is the SIGKILL below). A stack stop's process-group signal may have
    // reached it too; the worker takes every repeat as the same request.
    if (!child.stopping) {
      child.stopping = true;
      child.proc.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      this.logger.warn({ tier: child.tier, workerId: child.workerId }, 'worker did not stop in time; killing it');
      child.proc.kill('SIGKILL');
    }, timeoutMs);
    await child.exited;
    clearTimeout(timer);
  }
}
