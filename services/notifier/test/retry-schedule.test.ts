import { describe, expect, it } from '@jest/globals';
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, retryDelayMs } from '../src/retry-schedule.js';

describe('retryDelayMs()', () => {
  it('grows from seconds to hours and gives up after about a day', () => {
    const delays = Array.from({ length: MAX_ATTEMPTS }, (_, i) => retryDelayMs(i + 1, () => 0.5));
    expect(delays.at(-1)).toBeUndefined();
    const real = delays.slice(0, -1) as number[];
    expect(real[0]).toBe(5000);
    for (let i = 1; i < real.length; i++) expect(real[i]).toBeGreaterThanOrEqual(real[i - 1]!);
    const totalHours = real.reduce((a, b) => a + b, 0) / 3600_000;
    expect(totalHours).toBeGreaterThan(20);
    expect(totalHours).toBeLessThan(28);
  });

  it('jitters within ±20 %', () => {
    expect(retryDelayMs(1, () => 0)).toBe(4000);
    expect(retryDelayMs(1, () => 0.999999)).toBe(6000);
    expect(RETRY_DELAYS_SECONDS).toHaveLength(MAX_ATTEMPTS - 1);
  });
});
