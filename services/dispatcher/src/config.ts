import { BaseEnv, checkBaseEnv, parseEnv, toBaseConfig, type BaseConfig } from '@outpost/shared';
import { z } from 'zod';

const seconds = (fallback: number, what: string) => z.coerce.number().int().min(0).default(fallback).describe(what);

/** Variables of the dispatcher, on top of the shared ones. */
export const DispatcherEnv = BaseEnv.extend({
  OUTPOST_DISPATCH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(5000)
    .describe('Milliseconds between two dispatcher ticks (scaling, recovery, dead letters, counters).'),
  OUTPOST_SCALE_IN_COOLDOWN_SECONDS: seconds(120, 'Seconds of lower demand before a tier is scaled in (scale-out is immediate).'),
  OUTPOST_STALE_QUEUED_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(120)
    .describe('A queued run with no lease for this long gets its job message sent again (the lease makes duplicates harmless).'),
  OUTPOST_ECS_CLUSTER: z.string().min(1).optional().describe('aws mode: ECS cluster of the worker services. Default: the prefix.'),
  OUTPOST_ECS_SERVICE_PATTERN: z
    .string()
    .regex(/\{tier\}/, 'must contain {tier}')
    .default('{prefix}-{tier}-worker')
    .describe('aws mode: name of a tier\'s ECS worker service; `{prefix}` and `{tier}` are replaced.'),
  OUTPOST_LOCAL_MAX_WORKERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe('local mode: cap on worker processes per tier (a laptop is not a cluster); min and max of every tier are clamped to it.'),
  OUTPOST_WORKER_ENTRY: z
    .string()
    .min(1)
    .optional()
    .describe('local mode: the worker entry the local scaler starts. Default: services/worker/dist/main.js of this repo.'),
  OUTPOST_WORKER_RESTART_BACKOFF_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe('local mode: first delay before restarting a crashed worker; doubles per crash in a row, up to 60 s.'),
  OUTPOST_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional()
    .describe('Public URL of the edge; webhook payloads link to `<url>/runs/<runId>` (the dashboard page). Unset: no link.'),
});
export type DispatcherEnv = z.infer<typeof DispatcherEnv>;

export interface DispatcherConfig extends BaseConfig {
  intervalMs: number;
  scaleInCooldownMs: number;
  staleQueuedMs: number;
  ecsCluster: string;
  /** ECS service name of a tier's workers. */
  ecsServiceName: (tier: string) => string;
  localMaxWorkers: number;
  workerEntry: string | undefined;
  restartBackoffMs: number;
  publicUrl: string | undefined;
}

/** Parses the dispatcher's environment. */
export function loadDispatcherConfig(env: Record<string, string | undefined> = process.env): DispatcherConfig {
  const parsed = parseEnv(DispatcherEnv.superRefine(checkBaseEnv), env);
  const base = toBaseConfig(parsed);
  return {
    ...base,
    intervalMs: parsed.OUTPOST_DISPATCH_INTERVAL_MS,
    scaleInCooldownMs: parsed.OUTPOST_SCALE_IN_COOLDOWN_SECONDS * 1000,
    staleQueuedMs: parsed.OUTPOST_STALE_QUEUED_SECONDS * 1000,
    ecsCluster: parsed.OUTPOST_ECS_CLUSTER ?? base.prefix,
    ecsServiceName: (tier) => parsed.OUTPOST_ECS_SERVICE_PATTERN.replaceAll('{prefix}', base.prefix).replaceAll('{tier}', tier),
    localMaxWorkers: parsed.OUTPOST_LOCAL_MAX_WORKERS,
    workerEntry: parsed.OUTPOST_WORKER_ENTRY,
    restartBackoffMs: parsed.OUTPOST_WORKER_RESTART_BACKOFF_MS,
    publicUrl: parsed.OUTPOST_PUBLIC_URL,
  };
}
