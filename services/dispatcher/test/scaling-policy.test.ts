import { describe, expect, it } from '@jest/globals';
import { ScalingPolicy, wantedWorkers } from '../src/scaling-policy.js';

describe('wantedWorkers()', () => {
  it.each([
    [0, 1, 0, 10, 0],
    [7, 1, 0, 10, 7],
    [7, 3, 0, 10, 3],
    [100, 1, 0, 10, 10],
    [0, 1, 2, 10, 2],
  ])('backlog %i, %i per worker, bounds %i-%i → %i', (backlog, per, min, max, expected) => {
    expect(wantedWorkers(backlog, per, min, max)).toBe(expected);
  });
});

describe('ScalingPolicy', () => {
  const base = { tier: 'pro' as const, min: 0, max: 10, runsPerWorker: 1 };

  it('scales out at once', () => {
    const policy = new ScalingPolicy(60_000);
    expect(policy.decide({ ...base, backlog: 4, current: 1, now: 0 })).toEqual({ wanted: 4, target: 4, reason: 'scale_out' });
  });

  it('scales in only after the cooldown of lower demand, to the peak seen in it', () => {
    const policy = new ScalingPolicy(60_000);
    expect(policy.decide({ ...base, backlog: 1, current: 5, now: 0 }).target).toBe(5);
    expect(policy.decide({ ...base, backlog: 3, current: 5, now: 30_000 }).target).toBe(5);
    expect(policy.decide({ ...base, backlog: 0, current: 5, now: 59_999 }).target).toBe(5);
    expect(policy.decide({ ...base, backlog: 0, current: 5, now: 60_000 })).toEqual({ wanted: 0, target: 3, reason: 'scale_in' });
  });

  it('restarts the cooldown when demand comes back', () => {
    const policy = new ScalingPolicy(60_000);
    policy.decide({ ...base, backlog: 0, current: 2, now: 0 });
    expect(policy.decide({ ...base, backlog: 2, current: 2, now: 50_000 }).reason).toBe('hold');
    expect(policy.decide({ ...base, backlog: 0, current: 2, now: 70_000 }).reason).toBe('cooldown');
    expect(policy.decide({ ...base, backlog: 0, current: 2, now: 130_000 }).target).toBe(0);
  });

  it('moves a pool outside pinned bounds into them at once', () => {
    const policy = new ScalingPolicy(60_000);
    expect(policy.decide({ ...base, max: 3, backlog: 9, current: 8, now: 0 })).toEqual({ wanted: 3, target: 3, reason: 'bounds' });
    expect(policy.decide({ ...base, min: 2, backlog: 0, current: 0, now: 0 })).toEqual({ wanted: 2, target: 2, reason: 'bounds' });
  });
});
