import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadBaseConfig, type BaseConfig } from '@outpost/shared';

/** `.outpost/endpoints.json`, written by the local launcher: where the running stack listens. */
export const LocalEndpoints = z.object({
  dynamodb: z.url(),
  sqs: z.url(),
  s3: z.url(),
  prefix: z.string().optional(),
  env: z.string().optional(),
  region: z.string().optional(),
});
export type LocalEndpoints = z.infer<typeof LocalEndpoints>;

export function endpointsPath(home: string): string {
  return path.join(home, 'endpoints.json');
}

/**
 * The admin command's configuration: the environment as every service reads it; in local mode,
 * endpoints (and prefix/env) the environment leaves unset come from the running stack's
 * endpoints.json, so `npm run tenant` works next to `npm start` with no variables set.
 */
export function loadAdminConfig(env: Record<string, string | undefined> = process.env): BaseConfig {
  const mode = env.OUTPOST_MODE ?? 'local';
  if (mode !== 'local') return loadBaseConfig(env);
  const home = path.resolve(env.OUTPOST_HOME || '.outpost');
  const file = endpointsPath(home);
  const filled: Record<string, string | undefined> = { ...env, OUTPOST_HOME: home };
  const missing = ['OUTPOST_DYNAMODB_ENDPOINT', 'OUTPOST_SQS_ENDPOINT', 'OUTPOST_S3_ENDPOINT'].some((k) => !env[k]);
  if (missing && existsSync(file)) {
    const local = LocalEndpoints.parse(JSON.parse(readFileSync(file, 'utf8')));
    filled.OUTPOST_DYNAMODB_ENDPOINT ||= local.dynamodb;
    filled.OUTPOST_SQS_ENDPOINT ||= local.sqs;
    filled.OUTPOST_S3_ENDPOINT ||= local.s3;
    if (local.prefix) filled.OUTPOST_PREFIX ||= local.prefix;
    if (local.env) filled.OUTPOST_ENV ||= local.env;
    if (local.region) filled.AWS_REGION ||= local.region;
  }
  return loadBaseConfig(filled);
}
