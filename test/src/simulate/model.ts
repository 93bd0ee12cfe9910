import { DispatcherEnv } from '@outpost/dispatcher';
import { DEFAULT_TIERS, type TierLimits, type TierName } from '@outpost/shared';
import { WorkerEnv } from '@outpost/worker';

/**
 * The timings the simulator takes from the real services: the schema defaults of the dispatcher's
 * and the worker's environment, read from the schemas themselves so a changed default moves the
 * simulation with it.
 */
export interface ServiceTimings {
  /** Dispatcher tick (OUTPOST_DISPATCH_INTERVAL_MS). */
  tickMs: number;
  /** Scale-in cooldown (OUTPOST_SCALE_IN_COOLDOWN_SECONDS). */
  scaleInCooldownMs: number;
  /** Lease length (OUTPOST_LEASE_SECONDS): a dead worker's run is reaped on the first tick after it. */
  leaseMs: number;
}

export function serviceTimings(): ServiceTimings {
  const d = DispatcherEnv.shape;
  return {
    tickMs: d.OUTPOST_DISPATCH_INTERVAL_MS.parse(undefined),
    scaleInCooldownMs: d.OUTPOST_SCALE_IN_COOLDOWN_SECONDS.parse(undefined) * 1000,
    leaseMs: WorkerEnv.shape.OUTPOST_LEASE_SECONDS.parse(undefined) * 1000,
  };
}

/** What the simulation assumes about the world (not in the code: stated in docs/scaling.md). */
export interface WorldModel {
  /** Fargate task start (image pull + boot + first SQS receive): lognormal median and sigma, clamped. */
  startMedianMs: number;
  startSigma: number;
  startMinMs: number;
  startMaxMs: number;
  /** Run length: lognormal median per tier and sigma, capped at the tier's default timeout. */
  runMedianMs: Record<TierName, number>;
  runSigma: number;
  /** Hard worker deaths per worker-hour on Spot tiers (Spot reclaim treated as a crash). */
  spotCrashesPerHour: number;
}

const MIN = 60_000;

export const DEFAULT_WORLD: WorldModel = {
  startMedianMs: 45_000,
  startSigma: 0.35,
  startMinMs: 20_000,
  startMaxMs: 180_000,
  runMedianMs: { free: 4 * MIN, pro: 8 * MIN, enterprise: 12 * MIN },
  runSigma: 0.8,
  spotCrashesPerHour: 0.05,
};

/** One tier as the simulator drives it. */
export interface TierSetup {
  tier: TierName;
  limits: TierLimits;
  timings: ServiceTimings;
  world: WorldModel;
}

export function tierSetup(tier: TierName, overrides: Partial<TierLimits> = {}, timings: Partial<ServiceTimings> = {}): TierSetup {
  return {
    tier,
    limits: { ...DEFAULT_TIERS[tier], ...overrides },
    timings: { ...serviceTimings(), ...timings },
    world: DEFAULT_WORLD,
  };
}

/** Mean of the (uncapped) run-length lognormal, for sizing trace rates. */
export function meanRunMs(setup: TierSetup): number {
  return setup.world.runMedianMs[setup.tier] * Math.exp(setup.world.runSigma ** 2 / 2);
}

/** Runs per hour the tier's full fleet (max workers × runs per worker) can complete. */
export function fullFleetRunsPerHour(setup: TierSetup): number {
  return (setup.limits.maxWorkers * setup.limits.runsPerWorker * 3_600_000) / meanRunMs(setup);
}
