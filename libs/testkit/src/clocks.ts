import type { Clock } from '@outpost/shared';

// The clock that only moves when told to lives in shared, next to the Clock it implements;
// tests take it from here with the rest of their kit.
export { ManualClock } from '@outpost/shared';

/**
 * Real time plus an offset the test moves. For parts that must agree with something signed in
 * real time (the SDK signs requests with the system clock), where a ManualClock would not.
 */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Moves this clock `ms` further ahead of real time. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
