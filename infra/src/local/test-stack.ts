import { randomBytes } from 'node:crypto';
import { createAwsClients, resolveTiers, type AwsClients, type BaseConfig, type Clock } from '@outpost/shared';
import { startEmulators, type Emulators } from './emulators.js';
import { ensureStackCredentials } from './private-home.js';
import { provisionAll } from './provision-local.js';

export interface TestStack {
  emulators: Emulators;
  clients: AwsClients;
  config: BaseConfig;
  /** Environment for a child process (service) that should use this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Emulators on free ports with every resource provisioned under a unique prefix: what tests
 * run against. `home` is where local files (secrets, local.json, credentials.json) go.
 */
export async function startTestStack(options: { home: string; dataDir?: string; prefix?: string; clock?: Clock }): Promise<TestStack> {
  // The stack's key pair, kept in home/credentials.json (0600) as the launcher keeps it. The home
  // itself keeps its mode: some suites put worker workspaces under it.
  const credentials = await ensureStackCredentials(options.home);
  const emulators = await startEmulators({ credentials, ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const prefix = options.prefix ?? `t${randomBytes(4).toString('hex')}`;
  const config: BaseConfig = {
    mode: 'local',
    env: 'test',
    prefix,
    region: 'us-east-1',
    endpoints: emulators.endpoints,
    credentials: emulators.credentials,
    home: options.home,
    logLevel: 'silent',
    tiers: resolveTiers(),
    maxAttempts: 3,
  };
  const clients = createAwsClients(config);
  await provisionAll(clients, prefix);
  const env: Record<string, string> = {
    OUTPOST_MODE: 'local',
    OUTPOST_ENV: config.env,
    OUTPOST_PREFIX: prefix,
    AWS_REGION: config.region,
    OUTPOST_DYNAMODB_ENDPOINT: emulators.endpoints.dynamodb,
    OUTPOST_SQS_ENDPOINT: emulators.endpoints.sqs,
    OUTPOST_S3_ENDPOINT: emulators.endpoints.s3,
    OUTPOST_LOCAL_ACCESS_KEY_ID: emulators.credentials.accessKeyId,
    OUTPOST_LOCAL_SECRET_ACCESS_KEY: emulators.credentials.secretAccessKey,
    OUTPOST_HOME: options.home,
    OUTPOST_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return {
    emulators,
    clients,
    config,
    env,
    async stop() {
      clients.destroy();
      await emulators.stop();
    },
  };
}
