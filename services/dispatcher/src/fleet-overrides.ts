import { parameterPaths, TIER_NAMES, type ParameterStore, type TierName, type TierTable } from '@outpost/shared';
import { z } from 'zod';

/**
 * Ops overrides of a tier's pool, stored as one JSON parameter per tier at
 * `/outpost/{env}/fleet/{tier}` (SSM in aws mode, `.outpost/fleet.json` locally). Read every tick,
 * so a change applies within one interval, with no restart.
 */
export const FleetOverride = z
  .object({
    minWorkers: z.number().int().nonnegative().optional(),
    maxWorkers: z.number().int().nonnegative().optional(),
    runsPerWorker: z.number().int().positive().optional(),
  })
  .strict();
export type FleetOverride = z.infer<typeof FleetOverride>;

/** The numbers the scaler works with for one tier, and where they came from. */
export interface FleetBounds {
  min: number;
  max: number;
  runsPerWorker: number;
  override: FleetOverride | undefined;
  /** Why a bound differs from the override or tier table (bad override, local cap). */
  notes: string[];
}

/** Reads every tier's override; a malformed one is reported, not thrown (the tier table applies). */
export async function readFleetOverrides(
  store: ParameterStore,
  env: string,
): Promise<{ overrides: Partial<Record<TierName, FleetOverride>>; invalid: Partial<Record<TierName, string>> }> {
  const all = await store.getByPath(parameterPaths.fleet(env));
  const overrides: Partial<Record<TierName, FleetOverride>> = {};
  const invalid: Partial<Record<TierName, string>> = {};
  for (const tier of TIER_NAMES) {
    const raw = all[parameterPaths.fleetTier(env, tier)];
    if (raw === undefined) continue;
    const parsed = parseOverride(raw);
    if (parsed.ok) overrides[tier] = parsed.value;
    else invalid[tier] = parsed.error;
  }
  return { overrides, invalid };
}

/** Merges `change` into a tier's stored override (null clears a field) and writes it back. */
export async function writeFleetOverride(
  store: ParameterStore,
  env: string,
  tier: TierName,
  change: { [K in keyof FleetOverride]?: number | null },
): Promise<FleetOverride> {
  const name = parameterPaths.fleetTier(env, tier);
  const raw = await store.get(name);
  const current = raw === undefined ? {} : (() => {
    const parsed = parseOverride(raw);
    return parsed.ok ? parsed.value : {};
  })();
  const merged: Record<string, number> = { ...current } as Record<string, number>;
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  const next = FleetOverride.parse(merged);
  if (next.minWorkers !== undefined && next.maxWorkers !== undefined && next.minWorkers > next.maxWorkers) {
    throw new RangeError(`min (${next.minWorkers}) must be ≤ max (${next.maxWorkers})`);
  }
  await store.put(name, JSON.stringify(next));
  return next;
}

/** The tier table's pool settings with the override applied and, in local mode, capped. */
export function resolveFleetBounds(
  tiers: TierTable,
  tier: TierName,
  override: FleetOverride | undefined,
  options: { localCap?: number; invalid?: string } = {},
): FleetBounds {
  const notes: string[] = [];
  if (options.invalid) notes.push(`override ignored: ${options.invalid}`);
  const limits = tiers[tier];
  let min = override?.minWorkers ?? limits.minWorkers;
  let max = override?.maxWorkers ?? limits.maxWorkers;
  if (min > max) {
    // An override of one bound can cross the table's other bound: the override wins.
    if (override?.maxWorkers !== undefined) min = max;
    else max = min;
    notes.push('min and max crossed; the override wins');
  }
  if (options.localCap !== undefined && max > options.localCap) {
    notes.push(`max capped at ${options.localCap} (OUTPOST_LOCAL_MAX_WORKERS)`);
    max = options.localCap;
    min = Math.min(min, max);
  }
  return { min, max, runsPerWorker: override?.runsPerWorker ?? limits.runsPerWorker, override, notes };
}

function parseOverride(raw: string): { ok: true; value: FleetOverride } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const parsed = FleetOverride.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ') };
  return { ok: true, value: parsed.data };
}
