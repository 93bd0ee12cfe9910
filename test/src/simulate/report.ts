import type { TierName } from '@outpost/shared';
import type { FleetKind, SimResult } from './engine.js';
import type { TraceName } from './traces.js';

/** Nearest-rank percentile (p in 0..100) of unsorted values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Row {
  tier: TierName;
  trace: TraceName;
  fleet: FleetKind;
  runs: number;
  waitP50s: number;
  waitP99s: number;
  noisyP99s: number | undefined;
  workerMinutes: number;
  crashes: number;
}

export function toRow(tier: TierName, trace: TraceName, r: SimResult): Row {
  return {
    tier,
    trace,
    fleet: r.fleet,
    runs: r.waitsMs.length,
    waitP50s: Math.round(percentile(r.waitsMs, 50) / 1000),
    waitP99s: Math.round(percentile(r.waitsMs, 99) / 1000),
    noisyP99s: r.noisyWaitsMs.length > 0 ? Math.round(percentile(r.noisyWaitsMs, 99) / 1000) : undefined,
    workerMinutes: Math.round(r.workerMinutes),
    crashes: r.crashes,
  };
}

const HEAD = ['tier', 'trace', 'fleet', 'runs', 'wait p50 s', 'wait p99 s', 'noisy p99 s', 'worker-min', 'vs ideal', 'crashes'];

/** A Markdown table; `vs ideal` is worker-minutes as a ratio to the ideal fleet's on the same trace. */
export function markdownTable(rows: readonly Row[]): string {
  const ideal = new Map(rows.filter((r) => r.fleet === 'ideal').map((r) => [`${r.tier}/${r.trace}`, r.workerMinutes]));
  const lines = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const base = ideal.get(`${r.tier}/${r.trace}`);
    const ratio = base ? `${(r.workerMinutes / base).toFixed(2)}×` : '–';
    const cells = [r.tier, r.trace, r.fleet, r.runs, r.waitP50s, r.waitP99s, r.noisyP99s ?? '–', r.workerMinutes, ratio, r.crashes];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
