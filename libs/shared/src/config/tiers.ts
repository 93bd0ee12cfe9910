import { z } from 'zod';

export const TierName = z.enum(['free', 'pro', 'enterprise']);
export type TierName = z.infer<typeof TierName>;
export const TIER_NAMES: readonly TierName[] = TierName.options;

export const TierLimits = z
  .object({
    /** Queued + running runs one tenant may have at once. */
    activeRunsPerTenant: z.number().int().positive(),
    /** Runs one tenant may dispatch per UTC day; null is unlimited. */
    runsPerDay: z.number().int().positive().nullable(),
    /** Upper bound for a run's timeoutSeconds. */
    maxTimeoutSeconds: z.number().int().positive(),
    /** Timeout used when dispatch gives none (capped by maxTimeoutSeconds). */
    defaultTimeoutSeconds: z.number().int().positive(),
    /** Days a finished run and its artifacts are kept. */
    retentionDays: z.number().int().positive(),
    /** Worker count bounds for the tier's pool. */
    minWorkers: z.number().int().nonnegative(),
    maxWorkers: z.number().int().positive(),
    /** Runs one worker process handles at once. */
    runsPerWorker: z.number().int().positive(),
    /** Run the tier's workers on Fargate Spot. */
    spot: z.boolean(),
    /** A run's model budget in USD when dispatch gives no maxCostUsd. */
    defaultMaxCostUsd: z.number().positive(),
    /** The largest maxCostUsd a dispatch may ask for. */
    maxCostUsdCeiling: z.number().positive(),
    /** What one tenant's runs may spend on models per UTC month, in USD; null is unlimited. */
    monthlySpendUsd: z.number().positive().nullable(),
    /** Follow-ups a chain may hold after its first run (the root is depth 0). */
    maxChainDepth: z.number().int().nonnegative().default(3),
  })
  .refine((t) => t.minWorkers <= t.maxWorkers, { message: 'minWorkers must be ≤ maxWorkers' })
  .refine((t) => t.defaultTimeoutSeconds <= t.maxTimeoutSeconds, {
    message: 'defaultTimeoutSeconds must be ≤ maxTimeoutSeconds',
  })
  .refine((t) => t.defaultMaxCostUsd <= t.maxCostUsdCeiling, {
    message: 'defaultMaxCostUsd must be ≤ maxCostUsdCeiling',
  });
export type TierLimits = z.infer<typeof TierLimits>;

export const TierTable = z.record(TierName, TierLimits);
export type TierTable = Record<TierName, TierLimits>;

/** The defaults of DESIGN.md. */
export const DEFAULT_TIERS: TierTable = {
  free: {
    activeRunsPerTenant: 1,
    runsPerDay: 10,
    maxTimeoutSeconds: 10 * 60,
    defaultTimeoutSeconds: 10 * 60,
    retentionDays: 7,
    minWorkers: 0,
    maxWorkers: 2,
    runsPerWorker: 1,
    spot: true,
    defaultMaxCostUsd: 1,
    maxCostUsdCeiling: 2,
    monthlySpendUsd: 10,
    maxChainDepth: 3,
  },
  pro: {
    activeRunsPerTenant: 5,
    runsPerDay: 500,
    maxTimeoutSeconds: 60 * 60,
    defaultTimeoutSeconds: 30 * 60,
    retentionDays: 30,
    minWorkers: 0,
    maxWorkers: 10,
    runsPerWorker: 1,
    spot: false,
    defaultMaxCostUsd: 5,
    maxCostUsdCeiling: 50,
    monthlySpendUsd: 500,
    maxChainDepth: 10,
  },
  enterprise: {
    activeRunsPerTenant: 25,
    runsPerDay: null,
    maxTimeoutSeconds: 6 * 60 * 60,
    defaultTimeoutSeconds: 60 * 60,
    retentionDays: 90,
    minWorkers: 1,
    maxWorkers: 50,
    runsPerWorker: 1,
    spot: false,
    defaultMaxCostUsd: 20,
    maxCostUsdCeiling: 500,
    monthlySpendUsd: null,
    maxChainDepth: 25,
  },
};

/** Partial per-tier overrides, e.g. from OUTPOST_TIERS (JSON). */
export const TierOverrides = z.partialRecord(TierName, z.record(z.string(), z.unknown()));
export type TierOverrides = z.infer<typeof TierOverrides>;

/** The tier table with overrides applied; throws a ZodError whose paths name the tier and field. */
export function resolveTiers(overrides: Partial<Record<TierName, Partial<TierLimits>>> = {}): TierTable {
  const out = {} as TierTable;
  const issues: z.core.$ZodIssue[] = [];
  for (const name of TIER_NAMES) {
    const override = (overrides[name] ?? {}) as Record<string, unknown>;
    // A misspelt field would otherwise be dropped silently and the default kept.
    const unknown = Object.keys(override).filter((k) => !(k in DEFAULT_TIERS[name]));
    if (unknown.length > 0) {
      issues.push({
        code: 'unrecognized_keys',
        keys: unknown,
        path: [name],
        input: override,
        message: `unknown field ${unknown.join(', ')}; allowed: ${Object.keys(DEFAULT_TIERS[name]).join(', ')}`,
      } as z.core.$ZodIssue);
      continue;
    }
    const result = TierLimits.safeParse({ ...DEFAULT_TIERS[name], ...override });
    if (result.success) out[name] = result.data;
    else issues.push(...result.error.issues.map((i) => ({ ...i, path: [name, ...i.path] })));
  }
  if (issues.length > 0) throw new z.ZodError(issues);
  return out;
}
