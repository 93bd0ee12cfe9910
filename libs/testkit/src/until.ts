import { inspect } from 'node:util';

export interface UntilOptions {
  /** How long to keep polling. @default 30_000 */
  timeoutMs?: number;
  /** Pause between two polls. @default 50 */
  intervalMs?: number;
  /** What is awaited, as the timeout error names it. @default 'condition' */
  what?: string;
}

/** `until` gave up: names what it waited for and what the condition last gave (value or error). */
export class UntilTimeoutError extends Error {
  override readonly name = 'UntilTimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: { value: unknown } | { error: unknown },
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; ${describe(last)}`, 'error' in last ? { cause: last.error } : undefined);
  }
}

/**
 * Polls `cond` (sync or async) until it returns a truthy value, and returns that value. A throw
 * counts as "not yet" (a record not written yet, a server not listening yet); on timeout the
 * error carries the last value or error. Polling, not sleeping: it returns as soon as it can.
 */
export async function until<T>(cond: () => T | Promise<T>, options: UntilOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 50, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: { value: unknown } | { error: unknown };
    try {
      const value = await cond();
      if (value) return value as NonNullable<T>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) throw new UntilTimeoutError(what, timeoutMs, last);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(last: { value: unknown } | { error: unknown }): string {
  if ('error' in last) return `last error: ${last.error instanceof Error ? last.error.message : short(last.error)}`;
  return `last value: ${short(last.value)}`;
}

function short(value: unknown): string {
  const text = inspect(value, { depth: 2, breakLength: Infinity });
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
