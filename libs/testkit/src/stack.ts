import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureStackCredentials, provisionAll, startEmulators, type Emulators } from '@outpost/infra/local';
import { createAwsClients, resolveTiers, type AwsClients, type BaseConfig, type Clock } from '@outpost/shared';

export interface TestStack {
  emulators: Emulators;
  clients: AwsClients;
  config: BaseConfig;
  /** OUTPOST_HOME: the caller's, or a temp directory stop() removes. */
  home: string;
  /** Environment for a child process (service) that should use this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** Where local files (secrets, local.json, credentials.json) go. @default a new temp directory (0755, removed by stop()) */
  home?: string;
  /** Persist the emulators' data here, as `npm start` does under ~/.outpost/data. @default memory only */
  dataDir?: string;
  /** Resource name prefix. @default a random one, so stacks never share a table */
  prefix?: string;
  /** The emulators' clock (signature dates, presigned expiry). */
  clock?: Clock;
}

/**
 * The emulators `npm start` runs (dynalite, fauxqs; SigV4 enforced) on free ports, with every
 * table, queue and the bucket provisioned under a unique prefix: what tests run against.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const ownHome = options.home === undefined;
  // Workers put workspaces under the home and refuse to start unless the agent user can reach
  // it; mkdtemp makes 0700 directories. A caller's home keeps its mode.
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), 'outpost-test-stack-')));
  if (ownHome) await chmod(home, 0o755);
  // The stack's key pair, kept in home/credentials.json (0600) as the launcher keeps it.
  const credentials = await ensureStackCredentials(home);
  const emulators = await startEmulators({ credentials, ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const prefix = options.prefix ?? `t${randomBytes(4).toString('hex')}`;
  const config: BaseConfig = {
    mode: 'local',
    env: 'test',
    prefix,
    region: 'us-east-1',
    endpoints: emulators.endpoints,
    credentials: emulators.credentials,
    home,
    logLevel: 'silent',
    tiers: resolveTiers(),
    maxAttempts: 3,
  };
  const clients = createAwsClients(config);
  await provisionAll(clients, prefix);
  return {
    emulators,
    clients,
    config,
    home,
    env: serviceEnv(config, emulators),
    async stop() {
      clients.destroy();
      await emulators.stop();
      if (ownHome) await rm(home, { recursive: true, force: true });
    },
  };
}

/** The variables a service process reads to use this stack. */
function serviceEnv(config: BaseConfig, emulators: Emulators): Record<string, string> {
  return {
    OUTPOST_MODE: 'local',
    OUTPOST_ENV: config.env,
    OUTPOST_PREFIX: config.prefix,
    AWS_REGION: config.region,
    OUTPOST_DYNAMODB_ENDPOINT: emulators.endpoints.dynamodb,
    OUTPOST_SQS_ENDPOINT: emulators.endpoints.sqs,
    OUTPOST_S3_ENDPOINT: emulators.endpoints.s3,
    OUTPOST_LOCAL_ACCESS_KEY_ID: emulators.credentials.accessKeyId,
    OUTPOST_LOCAL_SECRET_ACCESS_KEY: emulators.credentials.secretAccessKey,
    OUTPOST_HOME: config.home,
    OUTPOST_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
