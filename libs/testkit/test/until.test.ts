import { describe, expect, it } from '@jest/globals';
import { until, UntilTimeoutError } from '../src/until.js';

describe('until()', () => {
  it('returns the first truthy value, sync or async', async () => {
    let polls = 0;
    expect(await until(() => (++polls >= 3 ? { polls } : undefined), { intervalMs: 1 })).toEqual({ polls: 3 });
    let n = 0;
    expect(await until(async () => (++n >= 2 ? 'ready' : ''), { intervalMs: 1 })).toBe('ready');
  });

  it('treats a throw as "not yet" and keeps polling', async () => {
    let polls = 0;
    const value = await until(
      () => {
        if (++polls < 3) throw new Error('not listening yet');
        return polls;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(3);
  });

  it('on timeout names what it waited for and the last value', async () => {
    const err = await until(() => 0, { timeoutMs: 20, intervalMs: 5, what: 'the queue to drain' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UntilTimeoutError);
    expect((err as Error).message).toBe('timed out after 20 ms waiting for the queue to drain; last value: 0');
  });

  it('on timeout carries the last error as message and cause', async () => {
    const boom = new Error('connection refused');
    const err = (await until(
      () => {
        throw boom;
      },
      { timeoutMs: 10, intervalMs: 2, what: 'the edge' },
    ).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('timed out after 10 ms waiting for the edge; last error: connection refused');
    expect(err.cause).toBe(boom);
  });

  it('polls at least once even with no time left', async () => {
    expect(await until(() => 'now', { timeoutMs: 0 })).toBe('now');
  });
});
