import { describe, expect, it } from '@jest/globals';
import { costOf, DEFAULT_PRICES, priceFor, PriceTable } from '../src/config/prices.js';

describe('prices', () => {
  it('prices a model by its longest matching prefix, and anything else at the default', () => {
    expect(priceFor(DEFAULT_PRICES, 'gpt-5-mini-2025-08-07')).toEqual(DEFAULT_PRICES['gpt-5-mini']);
    expect(priceFor(DEFAULT_PRICES, 'gpt-5.1')).toEqual(DEFAULT_PRICES['gpt-5']);
    expect(priceFor(DEFAULT_PRICES, 'claude-sonnet-4-5-20250929')).toEqual(DEFAULT_PRICES['claude-sonnet-4']);
    expect(priceFor(DEFAULT_PRICES, 'some-new-model')).toEqual(DEFAULT_PRICES.default);
    expect(priceFor(DEFAULT_PRICES, undefined)).toEqual(DEFAULT_PRICES.default);
    expect(priceFor({ 'gpt-5': { input: 1, output: 1 } }, 'other')).toBeUndefined();
  });

  it('costs each kind of token at its own price; cache prices default to the input price', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 2_000_000, cacheReadTokens: 1_000_000, cacheWriteTokens: 1_000_000 };
    expect(costOf({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, usage)).toBeCloseTo(3 + 30 + 0.3 + 3.75, 10);
    expect(costOf({ input: 2, output: 8 }, usage)).toBeCloseTo(2 + 16 + 2 + 2, 10);
    expect(costOf({ input: 2, output: 8 }, {})).toBe(0);
  });

  it('parses a table from configuration and refuses negative prices', () => {
    expect(PriceTable.parse({ 'my-model': { input: 1, output: 2 } })).toEqual({ 'my-model': { input: 1, output: 2 } });
    expect(() => PriceTable.parse({ x: { input: -1, output: 2 } })).toThrow();
  });
});
