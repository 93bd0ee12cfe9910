import { describe, expect, it } from '@jest/globals';
import { simulate } from '../src/simulate/engine.js';
import { tierSetup, type TierSetup } from '../src/simulate/model.js';
import { percentile } from '../src/simulate/report.js';
import { tracesFor, type Arrival, type Trace } from '../src/simulate/traces.js';

const HOUR = 3_600_000;

function trace(setup: TierSetup, name: Trace['name']): Trace {
  const found = tracesFor(setup).find((t) => t.name === name);
  if (!found) throw new Error(`no trace ${name}`);
  return found;
}

/** A fixed list of arrivals as a trace, for scenarios the generated traces do not pin down. */
function listed(arrivals: Arrival[], horizonMs = HOUR): Trace {
  return { name: 'bursty', horizonMs, sources: () => [{ initial: () => arrivals }] };
}

describe('scaling simulator', () => {
  it('gives the same result for the same seed, and a different one for another seed', () => {
    const base = tierSetup('free');
    const setup = { ...base, world: { ...base.world, spotCrashesPerHour: 1 } };
    const a = simulate(setup, trace(setup, 'diurnal'), 'policy', 7);
    const b = simulate(setup, trace(setup, 'diurnal'), 'policy', 7);
    const c = simulate(setup, trace(setup, 'diurnal'), 'policy', 8);
    expect(b).toEqual(a);
    expect(a.crashes).toBeGreaterThan(0); // the Spot crash path ran, and replayed exactly
    expect(c.waitsMs).not.toEqual(a.waitsMs);
  });

  it('never makes a run wait on the ideal fleet, and bills only the run time', () => {
    const setup = tierSetup('pro');
    for (const t of tracesFor(setup)) {
      const r = simulate(setup, t, 'ideal', 3);
      expect(r.waitsMs.length).toBeGreaterThan(0);
      expect(Math.max(...r.waitsMs)).toBe(0);
    }
    const one = simulate(setup, listed([{ at: 0, tenant: 'a', durationMs: 10 * 60_000 }]), 'ideal', 1);
    expect(one.workerMinutes).toBe(10);
  });

  it('never queues on a fixed fleet with a worker for every run', () => {
    // 40 runs in one minute, enterprise keeps 50 workers up: none waits.
    const setup = tierSetup('enterprise');
    const burst = Array.from({ length: 40 }, (_, i) => ({ at: 60_000 + i * 1500, tenant: `t${i}`, durationMs: 20 * 60_000 }));
    const r = simulate(setup, listed(burst), 'fixed', 5);
    expect(r.waitsMs).toHaveLength(40);
    expect(Math.max(...r.waitsMs)).toBe(0);
    expect(r.workerMinutes).toBe(50 * 60);
  });

  it('scales the real policy out under a burst, then back to min after the cooldown', () => {
    const setup = tierSetup('pro');
    const burst = Array.from({ length: 8 }, (_, i) => ({ at: 10 * 60_000 + i * 1000, tenant: `t${i}`, durationMs: 15 * 60_000 }));
    const r = simulate(setup, listed(burst, 2 * HOUR), 'policy', 11);
    const before = r.samples.filter((s) => s.t < 10 * 60_000);
    const during = r.samples.filter((s) => s.t >= 12 * 60_000 && s.t < 24 * 60_000);
    const after = r.samples.filter((s) => s.t >= 40 * 60_000);
    expect(Math.max(...before.map((s) => s.workers))).toBe(0);
    expect(Math.min(...during.map((s) => s.workers))).toBe(8);
    expect(Math.max(...after.map((s) => s.workers))).toBe(0);
    // Every run waited for a Fargate start (≥ 20 s) plus at most one tick, never the whole burst.
    expect(Math.min(...r.waitsMs)).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...r.waitsMs)).toBeLessThanOrEqual(180_000 + setup.timings.tickMs);
  });

  it('queues a burst beyond max workers until slots free, even on a fixed fleet', () => {
    const setup = tierSetup('free'); // max 2 workers
    const burst = Array.from({ length: 3 }, (_, i) => ({ at: i, tenant: `t${i}`, durationMs: 5 * 60_000 }));
    const r = simulate({ ...setup, world: { ...setup.world, spotCrashesPerHour: 0 } }, listed(burst), 'fixed', 1);
    expect([...r.waitsMs].sort((a, b) => a - b)).toEqual([0, 0, 5 * 60_000 - 2]);
  });

  it('requeues a dead worker\'s run when its lease expires, and the run still finishes', () => {
    const base = tierSetup('free');
    const setup = { ...base, world: { ...base.world, spotCrashesPerHour: 60 } }; // a crash a minute
    const runs = Array.from({ length: 5 }, (_, i) => ({ at: i * 60_000, tenant: `t${i}`, durationMs: 5 * 60_000 }));
    const r = simulate(setup, listed(runs, 2 * HOUR), 'fixed', 2);
    expect(r.crashes).toBeGreaterThan(0);
    expect(r.waitsMs).toHaveLength(5);
    expect(Math.max(...r.waitsMs)).toBeGreaterThanOrEqual(setup.timings.leaseMs);
  });

  it('reads nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([], 99)).toBe(0);
  });
});
