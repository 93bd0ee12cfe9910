import type { TierName } from '@outpost/shared';

/** What a scaler sees of one tier's pool right now. */
export interface PoolObservation {
  /** The count the pool is currently asked to hold (ECS desiredCount; local: live children). */
  desired: number;
  /** Workers up (ECS RUNNING tasks; local: children that have sent a heartbeat). */
  running: number;
  /** Workers starting (ECS PENDING tasks; local: children with no heartbeat yet). */
  pending: number;
}

/**
 * Changes a tier's worker count. Implementations never stop a busy worker: ECS relies on task
 * scale-in protection set by the workers; the local scaler stops only workers whose heartbeat
 * says idle. So `apply(tier, n)` with n below the busy count leaves the busy ones running.
 */
export interface Scaler {
  readonly source: 'ecs' | 'local';
  observe(tier: TierName): Promise<PoolObservation>;
  /**
   * Makes the pool hold `desired` workers (idempotent; called every tick). `seen` is this tick's
   * observe() result, so an implementation can skip a call that would change nothing.
   */
  apply(tier: TierName, desired: number, seen?: PoolObservation): Promise<void>;
  /** Releases what the scaler holds (the local scaler stops its children and waits). */
  stop(): Promise<void>;
}
