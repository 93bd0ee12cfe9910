import { TIER_NAMES, type TierLimits, type TierName } from '@outpost/shared';
import { simulate, type FleetKind, type SimResult } from './engine.js';
import { tierSetup, type ServiceTimings, type TierSetup } from './model.js';
import { toRow, type Row } from './report.js';
import { tracesFor, type TraceName } from './traces.js';

export const FLEETS: readonly FleetKind[] = ['policy', 'fixed', 'ideal'];

export interface Variant {
  name: string;
  tiers?: Partial<Record<TierName, Partial<TierLimits>>>;
  timings?: Partial<ServiceTimings>;
}

export interface Simulated {
  setup: TierSetup;
  trace: TraceName;
  result: SimResult;
  row: Row;
}

/** Every trace of every tier against the given fleets, for one variant of the defaults. */
export function runAll(seed: number, variant: Variant = { name: 'defaults' }, fleets: readonly FleetKind[] = FLEETS): Simulated[] {
  const out: Simulated[] = [];
  for (const tier of TIER_NAMES) {
    const setup = tierSetup(tier, variant.tiers?.[tier], variant.timings);
    for (const trace of tracesFor(setup)) {
      for (const fleet of fleets) {
        const result = simulate(setup, trace, fleet, seed);
        out.push({ setup, trace: trace.name, result, row: toRow(tier, trace.name, result) });
      }
    }
  }
  return out;
}

/** The variants of the tier defaults the tuning pass compares with the defaults. */
export const VARIANTS: readonly Variant[] = [
  { name: 'defaults' },
  { name: 'min 1 on free and pro', tiers: { free: { minWorkers: 1 }, pro: { minWorkers: 1 } } },
  { name: 'enterprise min 2', tiers: { enterprise: { minWorkers: 2 } } },
  { name: 'cooldown 60 s', timings: { scaleInCooldownMs: 60_000 } },
  { name: 'cooldown 300 s', timings: { scaleInCooldownMs: 300_000 } },
  { name: 'cooldown 600 s', timings: { scaleInCooldownMs: 600_000 } },
];

export interface VariantSummary {
  variant: string;
  tier: TierName;
  /** Over all four traces: p50 / p99 of the per-trace p50 and p99, and summed worker-minutes. */
  worstP50s: number;
  worstP99s: number;
  meanP99s: number;
  workerMinutes: number;
  /** Tasks started over the four traces (churn: each start is a Fargate image pull). */
  launches: number;
}

export function summarizeVariant(name: string, sims: readonly Simulated[]): VariantSummary[] {
  return TIER_NAMES.map((tier) => {
    const mine = sims.filter((s) => s.row.tier === tier && s.row.fleet === 'policy');
    const rows = mine.map((s) => s.row);
    return {
      variant: name,
      tier,
      worstP50s: Math.max(...rows.map((r) => r.waitP50s)),
      worstP99s: Math.max(...rows.map((r) => r.waitP99s)),
      meanP99s: Math.round(rows.reduce((n, r) => n + r.waitP99s, 0) / rows.length),
      workerMinutes: rows.reduce((n, r) => n + r.workerMinutes, 0),
      launches: mine.reduce((n, s) => n + s.result.launches, 0),
    };
  });
}
