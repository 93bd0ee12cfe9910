import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadBaseConfig, type BaseConfig } from '../config/config.js';
import { readLocalCredentials, writePrivateFile } from './local-credentials.js';
import { findRepoRoot } from './repo-root.js';

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

type Env = Record<string, string | undefined>;

/** The repository's .outpost, where `npm start` keeps the running stack's files (./.outpost outside a checkout). */
function repoHome(): string {
  try {
    return path.join(findRepoRoot(), '.outpost');
  } catch {
    return path.resolve('.outpost');
  }
}

export function endpointsPath(home: string): string {
  return path.join(home, 'endpoints.json');
}

/**
 * In local mode, fills the endpoint variables (and prefix, env, region) the environment leaves
 * unset from the running stack's endpoints.json, and the stack's key pair from its
 * credentials.json, so tools started beside `npm start` (the admin command, `outpost-mcp`
 * launched by an MCP client from any directory) need no variables.
 * OUTPOST_HOME wins; else ./.outpost when it holds endpoints.json; else the repository's .outpost.
 */
export function withLocalEndpoints(env: Env = process.env): Env {
  if ((env.OUTPOST_MODE ?? 'local') !== 'local') return env;
  const home = env.OUTPOST_HOME
    ? path.resolve(env.OUTPOST_HOME)
    : existsSync(endpointsPath(path.resolve('.outpost')))
      ? path.resolve('.outpost')
      : repoHome();
  const filled: Env = { ...env, OUTPOST_HOME: home };
  if (!env.OUTPOST_LOCAL_ACCESS_KEY_ID && !env.OUTPOST_LOCAL_SECRET_ACCESS_KEY) {
    const credentials = readLocalCredentials(home);
    if (credentials) {
      filled.OUTPOST_LOCAL_ACCESS_KEY_ID = credentials.accessKeyId;
      filled.OUTPOST_LOCAL_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    }
  }
  const missing = ['OUTPOST_DYNAMODB_ENDPOINT', 'OUTPOST_SQS_ENDPOINT', 'OUTPOST_S3_ENDPOINT'].some((k) => !env[k]);
  const file = endpointsPath(home);
  if (!missing || !existsSync(file)) return filled;
  const local = LocalEndpoints.parse(JSON.parse(readFileSync(file, 'utf8')));
  filled.OUTPOST_DYNAMODB_ENDPOINT ||= local.dynamodb;
  filled.OUTPOST_SQS_ENDPOINT ||= local.sqs;
  filled.OUTPOST_S3_ENDPOINT ||= local.s3;
  if (local.prefix) filled.OUTPOST_PREFIX ||= local.prefix;
  if (local.env) filled.OUTPOST_ENV ||= local.env;
  if (local.region) filled.AWS_REGION ||= local.region;
  return filled;
}

/** An admin command's configuration: the shared variables, local endpoints filled in. */
export function loadAdminConfig(env: Env = process.env): BaseConfig {
  return loadBaseConfig(withLocalEndpoints(env));
}

/** Writes endpoints.json (0600) for a running local stack (the launcher calls this). */
export async function writeLocalEndpoints(home: string, endpoints: LocalEndpoints): Promise<void> {
  await writePrivateFile(endpointsPath(home), `${JSON.stringify(LocalEndpoints.parse(endpoints), null, 2)}\n`);
}
