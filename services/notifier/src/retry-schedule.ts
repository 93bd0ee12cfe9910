/**
 * Seconds before each retry: from seconds to hours, about a day in all (23.7 h before jitter).
 * Entry i is the wait after attempt i+1 failed; after the last one the event is given up.
 */
export const RETRY_DELAYS_SECONDS: readonly number[] = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800];

/** ±20 %, so endpoints that failed together are not retried together. */
const JITTER = 0.2;

/**
 * Milliseconds to wait after `attempt` (1-based) failed, or undefined when no attempt is left.
 * `random` is injected so tests pin the jitter.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_DELAYS_SECONDS[attempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * 1000 * (1 - JITTER + 2 * JITTER * random()));
}

/** Attempts an event gets in all (the first plus every retry). */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
