import type { TierName } from '@outpost/shared';

export interface ScaleInput {
  tier: TierName;
  backlog: number;
  min: number;
  max: number;
  runsPerWorker: number;
  /** The count the pool currently holds (the scaler's desired). */
  current: number;
  now: number;
}

export interface ScaleDecision {
  /** Demand right now: clamp(ceil(backlog / runsPerWorker), min, max). */
  wanted: number;
  /** What the pool should be set to this tick. */
  target: number;
  reason: 'scale_out' | 'scale_in' | 'hold' | 'cooldown' | 'bounds';
}

/** Workers wanted for a backlog, within the tier's bounds. */
export function wantedWorkers(backlog: number, runsPerWorker: number, min: number, max: number): number {
  const raw = Math.ceil(Math.max(0, backlog) / Math.max(1, runsPerWorker));
  return Math.min(max, Math.max(min, raw));
}

/**
 * Scale out at once, scale in only after `cooldownMs` of continuously lower demand (then to the
 * highest demand seen during the cooldown, so a dip does not undershoot a burst). A pool outside
 * new bounds (ops pinned min/max) is moved into them at once.
 */
export class ScalingPolicy {
  private readonly lower = new Map<TierName, { since: number; peak: number }>();

  constructor(private readonly cooldownMs: number) {}

  decide(input: ScaleInput): ScaleDecision {
    const wanted = wantedWorkers(input.backlog, input.runsPerWorker, input.min, input.max);
    if (input.current > input.max || input.current < input.min) {
      this.lower.delete(input.tier);
      return { wanted, target: wanted, reason: 'bounds' };
    }
    if (wanted > input.current) {
      this.lower.delete(input.tier);
      return { wanted, target: wanted, reason: 'scale_out' };
    }
    if (wanted === input.current) {
      this.lower.delete(input.tier);
      return { wanted, target: input.current, reason: 'hold' };
    }
    const window = this.lower.get(input.tier);
    if (!window) {
      this.lower.set(input.tier, { since: input.now, peak: wanted });
      return { wanted, target: input.current, reason: 'cooldown' };
    }
    window.peak = Math.max(window.peak, wanted);
    if (input.now - window.since < this.cooldownMs) return { wanted, target: input.current, reason: 'cooldown' };
    this.lower.delete(input.tier);
    return { wanted, target: window.peak, reason: 'scale_in' };
  }
}
