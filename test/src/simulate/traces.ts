import { fullFleetRunsPerHour, type TierSetup } from './model.js';
import type { Rng } from './rng.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One dispatched run as it reaches the queue. */
export interface Arrival {
  at: number;
  tenant: string;
  durationMs: number;
}

/**
 * Where runs come from. Open-loop sources know every arrival up front; a closed-loop one (the noisy
 * tenant) dispatches again when one of its runs finishes, as a client would under its tier's cap.
 */
export interface Source {
  initial(): Arrival[];
  afterFinish?(tenant: string, at: number): Arrival | undefined;
}

export const TRACE_NAMES = ['steady', 'bursty', 'diurnal', 'noisy'] as const;
export type TraceName = (typeof TRACE_NAMES)[number];

export interface Trace {
  name: TraceName;
  /** Arrivals stop here; worker-minutes are counted over [0, horizonMs]. */
  horizonMs: number;
  /** Fresh sources for one simulation (each fleet gets its own, drawing the same values). */
  sources(rng: Rng): Source[];
}

function runLength(setup: TierSetup, rng: Rng): number {
  const drawn = rng.lognormal(setup.world.runMedianMs[setup.tier], setup.world.runSigma);
  return Math.min(Math.round(drawn), setup.limits.defaultTimeoutSeconds * 1000);
}

/** Non-homogeneous Poisson arrivals by thinning: `rate(t)` in runs per hour, at most `peak`. */
function poisson(setup: TierSetup, rng: Rng, horizonMs: number, peak: number, rate: (t: number) => number, tenants = 200): Source {
  const arrivals: Arrival[] = [];
  if (peak > 0) {
    for (let t = rng.exponential(HOUR / peak); t < horizonMs; t += rng.exponential(HOUR / peak)) {
      const keep = rng.uniform() < rate(t) / peak;
      const tenant = `t${Math.floor(rng.uniform() * tenants)}`;
      const durationMs = runLength(setup, rng);
      if (keep) arrivals.push({ at: Math.round(t), tenant, durationMs });
    }
  }
  return { initial: () => arrivals };
}

/** Bursts of `size` runs spread over one minute, every `everyMs`, the first at `everyMs / 2`. */
function bursts(setup: TierSetup, rng: Rng, horizonMs: number, everyMs: number, size: number): Source {
  const arrivals: Arrival[] = [];
  for (let start = everyMs / 2; start < horizonMs; start += everyMs) {
    for (let i = 0; i < size; i++) {
      arrivals.push({ at: Math.round(start + rng.uniform() * 60_000), tenant: `burst${i % 3}`, durationMs: runLength(setup, rng) });
    }
  }
  return { initial: () => arrivals.sort((a, b) => a.at - b.at) };
}

/**
 * One tenant that keeps its tier's `activeRunsPerTenant` runs in the system all day (10 s between
 * a finish and the next dispatch), up to `runsPerDay`: the limits the edge enforces.
 */
function noisyTenant(setup: TierSetup, rng: Rng, horizonMs: number): Source {
  const cap = setup.limits.runsPerDay ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  const next = (at: number): Arrival | undefined => {
    if (at >= horizonMs || sent >= cap) return undefined;
    sent++;
    return { at, tenant: 'noisy', durationMs: runLength(setup, rng) };
  };
  return {
    initial: () => {
      const out: Arrival[] = [];
      for (let i = 0; i < setup.limits.activeRunsPerTenant; i++) {
        const a = next(60_000 + i * 1000);
        if (a) out.push(a);
      }
      return out;
    },
    afterFinish: (tenant, at) => (tenant === 'noisy' ? next(at + 10_000) : undefined),
  };
}

/** The four traces for a tier, with rates relative to what its full fleet can complete. */
export function tracesFor(setup: TierSetup): Trace[] {
  const full = fullFleetRunsPerHour(setup);
  const fleet = setup.limits.maxWorkers * setup.limits.runsPerWorker;
  return [
    {
      name: 'steady',
      horizonMs: 6 * HOUR,
      sources: (rng) => [poisson(setup, rng.fork(), 6 * HOUR, 0.5 * full, () => 0.5 * full)],
    },
    {
      name: 'bursty',
      horizonMs: 6 * HOUR,
      sources: (rng) => [
        poisson(setup, rng.fork(), 6 * HOUR, 0.1 * full, () => 0.1 * full),
        bursts(setup, rng.fork(), 6 * HOUR, 90 * 60_000, Math.ceil(1.5 * fleet)),
      ],
    },
    {
      name: 'diurnal',
      horizonMs: DAY,
      sources: (rng) => [
        poisson(setup, rng.fork(), DAY, 0.8 * full, (t) => full * (0.05 + 0.75 * (1 - Math.cos((2 * Math.PI * t) / DAY)) / 2)),
      ],
    },
    {
      name: 'noisy',
      horizonMs: 6 * HOUR,
      sources: (rng) => [poisson(setup, rng.fork(), 6 * HOUR, 0.3 * full, () => 0.3 * full), noisyTenant(setup, rng.fork(), 6 * HOUR)],
    },
  ];
}
