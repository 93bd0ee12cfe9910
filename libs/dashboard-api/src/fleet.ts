import { z } from 'zod';
import { AgentName, TierName } from '@outpost/shared/run-schema';

export const FleetTier = z.object({
  tier: TierName,
  /** Jobs waiting for a worker. */
  queueDepth: z.number().int().nonnegative(),
  /** Jobs a worker has taken. */
  inFlight: z.number().int().nonnegative(),
  deadLetter: z.number().int().nonnegative(),
  /** Age of the oldest queued run; null when none is queued. */
  oldestJobAgeSeconds: z.number().nonnegative().nullable(),
  workers: z.object({
    desired: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    busy: z.number().int().nonnegative(),
    idle: z.number().int().nonnegative(),
    /** From the dispatcher's fleet state; null before the dispatcher has reported. */
    min: z.number().int().nonnegative().nullable(),
    max: z.number().int().nonnegative().nullable(),
  }),
});
export type FleetTier = z.infer<typeof FleetTier>;

export const FleetAgent = z.object({
  name: AgentName,
  /** What the live workers' CLIs report (several during a rollout). */
  versions: z.array(z.string()),
  /** Some live worker can run it. */
  ready: z.boolean(),
  /** Set when the adapter was never tested against the real CLI. */
  note: z.string().optional(),
});
export type FleetAgent = z.infer<typeof FleetAgent>;

export const UsedOf = z.object({ used: z.number(), limit: z.number().nullable() });

export const FleetUsage = z.object({
  tier: TierName,
  activeRuns: UsedOf,
  runsToday: UsedOf.extend({ resetsAt: z.string() }),
  spendThisMonthUsd: UsedOf.extend({ resetsAt: z.string() }),
  maxTimeoutSeconds: z.number().int(),
});
export type FleetUsage = z.infer<typeof FleetUsage>;

/**
 * One minute of the last hour: queue depth as the edge sampled it that minute (null for minutes
 * before the edge started sampling) and how many of the tenant's runs started in it.
 */
export const FleetHistoryPoint = z.object({
  at: z.string(),
  tier: TierName,
  queueDepth: z.number().int().nonnegative().nullable(),
  runStarts: z.number().int().nonnegative(),
});
export type FleetHistoryPoint = z.infer<typeof FleetHistoryPoint>;

/** `GET /api/fleet`. */
export const FleetResponse = z.object({
  tiers: z.array(FleetTier),
  agents: z.array(FleetAgent),
  usage: FleetUsage,
  history: z.object({ points: z.array(FleetHistoryPoint) }),
});
export type FleetResponse = z.infer<typeof FleetResponse>;
