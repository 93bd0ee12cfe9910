import { z } from 'zod';
import type { Usage } from '../schemas/run.js';

/** A model's price in US dollars per million tokens. */
export const ModelPrice = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  /** Cached input read; default: the input price. */
  cacheRead: z.number().nonnegative().optional(),
  /** Input written to the cache; default: the input price. */
  cacheWrite: z.number().nonnegative().optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/** Prices by model-name prefix; the longest matching prefix wins. */
export const PriceTable = z.record(z.string().min(1), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

/**
 * List prices (USD per million tokens) of the models the agents use by default, by name prefix.
 * `default` prices any model the table does not name, so a budget always counts something.
 * Override or extend with OUTPOST_MODEL_PRICES.
 */
export const DEFAULT_PRICES: PriceTable = {
  default: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'grok-4': { input: 3, output: 15, cacheRead: 0.75 },
  'grok-code-fast': { input: 0.2, output: 1.5, cacheRead: 0.02 },
  'grok-3': { input: 3, output: 15, cacheRead: 0.75 },
};

/** The price of `model`: the longest prefix in `table`, else its `default`. */
export function priceFor(table: PriceTable, model: string | undefined): ModelPrice | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if (prefix === 'default' || !model?.startsWith(prefix)) continue;
    if (!best || prefix.length > best.length) best = prefix;
  }
  return best ? table[best] : table.default;
}

/** What `usage` costs at `price`. Input tokens here exclude cached ones (every provider's usage is normalised so). */
export function costOf(price: ModelPrice, usage: Usage): number {
  const m = 1e-6;
  return (
    (usage.inputTokens ?? 0) * price.input * m +
    (usage.outputTokens ?? 0) * price.output * m +
    (usage.cacheReadTokens ?? 0) * (price.cacheRead ?? price.input) * m +
    (usage.cacheWriteTokens ?? 0) * (price.cacheWrite ?? price.input) * m
  );
}
