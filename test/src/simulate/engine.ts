import { ScalingPolicy } from '@outpost/dispatcher';
import { EventQueue } from './events.js';
import type { TierSetup } from './model.js';
import { Rng } from './rng.js';
import type { Arrival, Source, Trace } from './traces.js';

/**
 * policy: the dispatcher's ScalingPolicy on each tick, starting from minWorkers warm.
 * fixed: maxWorkers always up. ideal: every run starts the instant it arrives, on its own worker.
 */
export type FleetKind = 'policy' | 'fixed' | 'ideal';

export interface Sample {
  t: number;
  /** Runs waiting: queued, or orphaned by a dead worker until their lease is reaped. */
  queued: number;
  /** Workers billed: starting or up. */
  workers: number;
  busy: number;
}

export interface SimResult {
  fleet: FleetKind;
  /** Per finished run: total time spent waiting (queued, or orphaned until reaped). */
  waitsMs: number[];
  /** The same, for the noisy tenant's runs only. */
  noisyWaitsMs: number[];
  /** Billed worker time over [0, horizon], in minutes. */
  workerMinutes: number;
  samples: Sample[];
  launches: number;
  crashes: number;
  endMs: number;
}

interface Run extends Arrival {
  source: Source;
  queuedAt: number;
  waitMs: number;
}

interface Worker {
  launchedAt: number;
  ready: boolean;
  stoppedAt: number | undefined;
  runs: Set<Run>;
}

type Event =
  | { kind: 'arrive'; run: Run }
  | { kind: 'ready'; worker: Worker }
  | { kind: 'finish'; worker: Worker; run: Run }
  | { kind: 'crash'; worker: Worker }
  | { kind: 'tick' }
  | { kind: 'sample' };

/** Runs one trace against one fleet of one tier, on a virtual clock. Same seed, same result. */
export function simulate(setup: TierSetup, trace: Trace, fleet: FleetKind, seed: number, sampleEveryMs = 60_000): SimResult {
  const root = Rng.seeded(seed);
  const sources = trace.sources(root.fork());
  const starts = root.fork();
  const crashes = root.fork();
  const { limits, timings, world } = setup;
  const slots = limits.runsPerWorker;
  const policy = new ScalingPolicy(timings.scaleInCooldownMs);
  const events = new EventQueue<Event>();
  const workers: Worker[] = [];
  const queue: Run[] = [];
  const orphans: { run: Run; reapAt: number }[] = [];
  const result: SimResult = { fleet, waitsMs: [], noisyWaitsMs: [], workerMinutes: 0, samples: [], launches: 0, crashes: 0, endMs: 0 };
  let desired = fleet === 'fixed' ? limits.maxWorkers : fleet === 'policy' ? limits.minWorkers : 0;
  let outstanding = 0;
  let now = 0;

  // Past the horizon with every run done, nothing is scheduled any more (ticks, samples, crashes).
  const going = () => now < trace.horizonMs || outstanding > 0;
  const live = () => workers.filter((w) => w.stoppedAt === undefined);
  const busySlots = () => workers.reduce((n, w) => n + (w.stoppedAt === undefined ? w.runs.size : 0), 0);

  const arrive = (a: Arrival | undefined, source: Source) => {
    if (!a) return;
    outstanding++;
    events.push(a.at, { kind: 'arrive', run: { ...a, source, queuedAt: a.at, waitMs: 0 } });
  };

  const launch = (warm: boolean): Worker => {
    const w: Worker = { launchedAt: now, ready: false, stoppedAt: undefined, runs: new Set() };
    workers.push(w);
    result.launches++;
    const delay = warm ? 0 : Math.min(world.startMaxMs, Math.max(world.startMinMs, starts.lognormal(world.startMedianMs, world.startSigma)));
    events.push(now + Math.round(delay), { kind: 'ready', worker: w });
    return w;
  };

  const start = (w: Worker, run: Run) => {
    run.waitMs += now - run.queuedAt;
    w.runs.add(run);
    events.push(now + run.durationMs, { kind: 'finish', worker: w, run });
  };

  const assign = () => {
    for (const w of workers) {
      if (queue.length === 0) return;
      if (!w.ready || w.stoppedAt !== undefined) continue;
      while (w.runs.size < slots && queue.length > 0) start(w, queue.shift()!);
    }
  };

  const stop = (w: Worker) => {
    w.stoppedAt = now;
  };

  /** What ECS does with a new desiredCount: start the missing tasks, stop unprotected (idle) ones. */
  const resize = (target: number) => {
    desired = target;
    const up = live();
    for (let i = up.length; i < target; i++) launch(false);
    let excess = up.length - target;
    for (const w of [...up].reverse()) if (excess > 0 && !w.ready) (stop(w), excess--);
    for (const w of [...up].reverse()) if (excess > 0 && w.ready && w.runs.size === 0) (stop(w), excess--);
  };

  const handlers: { [K in Event['kind']]: (e: Extract<Event, { kind: K }>) => void } = {
    arrive: ({ run }) => {
      queue.push(run);
      if (fleet === 'ideal') launch(true);
      assign();
    },
    ready: ({ worker }) => {
      if (worker.stoppedAt !== undefined) return;
      worker.ready = true;
      if (limits.spot && fleet !== 'ideal' && world.spotCrashesPerHour > 0 && going()) {
        events.push(now + Math.round(crashes.exponential(3_600_000 / world.spotCrashesPerHour)), { kind: 'crash', worker });
      }
      assign();
    },
    finish: ({ worker, run }) => {
      if (!worker.runs.delete(run)) return; // the worker died first; the run was orphaned
      outstanding--;
      result.waitsMs.push(run.waitMs);
      if (run.tenant === 'noisy') result.noisyWaitsMs.push(run.waitMs);
      result.endMs = now;
      arrive(run.source.afterFinish?.(run.tenant, now), run.source);
      // Scale-in protection ends with the run: ECS stops the task if the service has too many.
      if (fleet === 'ideal' || (worker.runs.size === 0 && live().length > desired)) stop(worker);
      assign();
    },
    crash: ({ worker }) => {
      if (worker.stoppedAt !== undefined || !going()) return;
      result.crashes++;
      stop(worker);
      for (const run of worker.runs) {
        run.queuedAt = now;
        orphans.push({ run, reapAt: now + timings.leaseMs });
      }
      worker.runs.clear();
      // The ECS service replaces a task that died.
      if (live().length < desired) launch(false);
    },
    tick: () => {
      if (fleet === 'policy') {
        const backlog = queue.length + busySlots() + orphans.length;
        const current = desired;
        const decision = policy.decide({ tier: setup.tier, backlog, min: limits.minWorkers, max: limits.maxWorkers, runsPerWorker: slots, current, now });
        resize(decision.target);
      }
      // reapExpiredLeases: a run whose lease ran out goes back to the queue.
      for (let i = orphans.length - 1; i >= 0; i--) {
        if (orphans[i]!.reapAt > now) continue;
        queue.push(orphans[i]!.run);
        orphans.splice(i, 1);
      }
      assign();
      if (going()) events.push(now + timings.tickMs, { kind: 'tick' });
    },
    sample: () => {
      result.samples.push({ t: now, queued: queue.length + orphans.length, workers: live().length, busy: busySlots() });
      if (going()) events.push(now + sampleEveryMs, { kind: 'sample' });
    },
  };

  for (let i = 0; i < desired; i++) launch(true);
  for (const source of sources) for (const a of source.initial()) arrive(a, source);
  events.push(0, { kind: 'tick' });
  events.push(0, { kind: 'sample' });
  for (let next = events.pop(); next; next = events.pop()) {
    now = next.at;
    (handlers[next.event.kind] as (e: Event) => void)(next.event);
  }
  for (const w of workers) {
    const end = Math.min(w.stoppedAt ?? trace.horizonMs, trace.horizonMs);
    result.workerMinutes += Math.max(0, end - w.launchedAt) / 60_000;
  }
  return result;
}
