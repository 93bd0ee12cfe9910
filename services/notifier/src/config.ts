import { BaseEnv, checkBaseEnv, parseEnv, toBaseConfig, type BaseConfig } from '@outpost/shared';
import { z } from 'zod';

/** The notifier's variables, on top of the shared ones. */
export const NotifierEnv = BaseEnv.extend({
  OUTPOST_NOTIFIER_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(8)
    .describe('Webhook deliveries the notifier sends at once (each waits at most 10 s for its receiver).'),
  OUTPOST_NOTIFIER_POLL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .default(20)
    .describe('Long-poll wait of the notifier on the webhooks queue.'),
});
export type NotifierEnv = z.infer<typeof NotifierEnv>;

export interface NotifierConfig extends BaseConfig {
  concurrency: number;
  pollSeconds: number;
}

/** Parses the notifier's environment. */
export function loadNotifierConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  const parsed = parseEnv(NotifierEnv.superRefine(checkBaseEnv), env);
  return { ...toBaseConfig(parsed), concurrency: parsed.OUTPOST_NOTIFIER_CONCURRENCY, pollSeconds: parsed.OUTPOST_NOTIFIER_POLL_SECONDS };
}
