import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import {
  agentCacheDir,
  createAwsClients,
  findRepoRoot,
  installedAgentBins,
  QueueDirectory,
  resourceNames,
  RunStore,
  TenantStore,
  TIER_NAMES,
  toBaseConfig,
  type AwsClients,
  type Logger,
  writeLocalEndpoints,
} from '@outpost/shared';
import { ensureLocalTenant, type LocalTenant } from './bootstrap.js';
import type { LocalStackEnv } from './config.js';
import { PortInUseError, startEmulators, type Emulators } from './emulators.js';
import { ensureStackCredentials, makePrivate } from './private-home.js';
import { provisionAll } from './provision-local.js';
import { requeueActiveRuns } from './requeue.js';

/** Repository root, found from this file (infra/dist/local or infra/src/local). */
export const REPO_ROOT = findRepoRoot(import.meta.url);

export interface ServiceSpec {
  name: 'mcp-edge' | 'dispatcher' | 'worker' | 'notifier';
  /** Entry file, relative to the repo root. */
  entry: string;
  env?: Record<string, string>;
  label?: string;
}

export interface LocalStackHandle {
  local: LocalTenant;
  /** Absolute OUTPOST_HOME (where local.json and data/ live). */
  home: string;
  emulators: Emulators;
  childEnv: Record<string, string>;
  children: Map<string, ChildProcess>;
  skipped: string[];
  /** Agents whose pinned CLI the workers run from the project's cache. */
  agentsFromCache: string[];
  stop(): Promise<void>;
}

export interface LaunchOptions {
  env: LocalStackEnv;
  logger: Logger;
  /** Where service output goes. @default inherit */
  stdio?: 'inherit' | 'ignore';
  /** Repo root holding services/. @default REPO_ROOT */
  root?: string;
  /** Variables for every service, over the inherited ones (tests: provider endpoints, agent bins). */
  serviceEnv?: Record<string, string>;
}

/**
 * The whole fleet on one machine: emulators on 127.0.0.1, every resource provisioned, the local
 * tenant, then the services that are built. stop() ends every child and the emulators.
 */
export async function launchLocalStack(options: LaunchOptions): Promise<LocalStackHandle> {
  const { env, logger } = options;
  const root = options.root ?? REPO_ROOT;
  const home = path.resolve(root, env.OUTPOST_HOME);
  const dataDir = path.join(home, 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Before anything is written: nothing under home may be readable by agents (other users).
  await makePrivate(home);
  const credentials = await ensureStackCredentials(home, logger);
  const edgePort = env.OUTPOST_EDGE_PORT === 0 ? await freePort() : env.OUTPOST_EDGE_PORT;
  await assertPortFree(edgePort, 'OUTPOST_EDGE_PORT');

  const emulators = await startEmulators({
    dataDir,
    dynamoPort: env.OUTPOST_DYNAMODB_PORT,
    sqsPort: env.OUTPOST_SQS_PORT,
    region: env.AWS_REGION,
    credentials,
  });
  let clients: AwsClients | undefined;
  const children = new Map<string, ChildProcess>();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await stopChildren(children, logger);
      clients?.destroy();
      await emulators.stop();
    })();
    return stopping;
  };
  try {
    const config = toBaseConfig({
      ...env,
      OUTPOST_HOME: home,
      OUTPOST_DYNAMODB_ENDPOINT: emulators.endpoints.dynamodb,
      OUTPOST_SQS_ENDPOINT: emulators.endpoints.sqs,
      OUTPOST_S3_ENDPOINT: emulators.endpoints.s3,
      OUTPOST_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
      OUTPOST_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    clients = createAwsClients(config);
    // Where this stack listens, for tools run beside it (`npm run tenant`).
    await writeLocalEndpoints(home, { ...emulators.endpoints, prefix: config.prefix, env: config.env, region: config.region });
    const report = await provisionAll(clients, config.prefix);
    logger.info({ created: report.created.length, existing: report.existing.length }, 'provisioned local resources');
    const names = resourceNames(config.prefix);
    const tenants = new TenantStore({ tenantsTable: names.tables.tenants, apiKeysTable: names.tables.apiKeys, doc: clients.doc });
    const mcpUrl = `http://127.0.0.1:${edgePort}/mcp`;
    const local = await ensureLocalTenant(tenants, home, mcpUrl, logger);
    const runs = new RunStore({ tableName: names.tables.runs, doc: clients.doc });
    const resent = await requeueActiveRuns({ runs, clients, queues: new QueueDirectory(clients.sqs, config.prefix), logger });
    if (resent > 0) logger.info({ resent }, 'sent jobs again for runs left queued or running');
    await makePrivate(home); // what the emulators just created under the umask (LevelDB's files)

    const inherited = { ...inheritSafe(process.env), ...options.serviceEnv };
    const cachedBins = agentBinsFromCache(inherited);
    const childEnv: Record<string, string> = {
      ...cachedBins,
      ...inherited,
      OUTPOST_MODE: 'local',
      OUTPOST_ENV: config.env,
      OUTPOST_PREFIX: config.prefix,
      AWS_REGION: config.region,
      OUTPOST_DYNAMODB_ENDPOINT: emulators.endpoints.dynamodb,
      OUTPOST_SQS_ENDPOINT: emulators.endpoints.sqs,
      OUTPOST_S3_ENDPOINT: emulators.endpoints.s3,
      // The services sign with the stack's key pair; agents never get it (their env starts empty).
      OUTPOST_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
      OUTPOST_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      OUTPOST_HOME: home,
      OUTPOST_LOG_LEVEL: env.OUTPOST_LOG_LEVEL,
      OUTPOST_EDGE_PORT: String(edgePort),
      OUTPOST_MAX_ATTEMPTS: String(env.OUTPOST_MAX_ATTEMPTS),
      ...(env.OUTPOST_TIERS ? { OUTPOST_TIERS: JSON.stringify(env.OUTPOST_TIERS) } : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const skipped: string[] = [];
    for (const spec of servicePlan(root)) {
      const entry = path.join(root, spec.entry);
      if (!existsSync(entry)) {
        skipped.push(spec.label ?? spec.name);
        continue;
      }
      children.set(spec.label ?? spec.name, startChild(spec, entry, { ...childEnv, ...spec.env }, options.stdio ?? 'inherit', logger, stop));
    }
    const agentsFromCache = Object.keys(cachedBins).map((v) => v.slice('OUTPOST_AGENT_'.length, -'_BIN'.length).toLowerCase());
    return { local, home, emulators, childEnv, children, skipped, agentsFromCache, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Which processes to start: the dispatcher owns the workers; without it, one worker per tier. */
export function servicePlan(root: string): ServiceSpec[] {
  const plan: ServiceSpec[] = [
    { name: 'mcp-edge', entry: 'services/mcp-edge/dist/main.js' },
    { name: 'dispatcher', entry: 'services/dispatcher/dist/main.js' },
    // Webhook deliveries; the dispatcher's tick relays the events to it (docs/webhooks.md).
    { name: 'notifier', entry: 'services/notifier/dist/main.js' },
  ];
  if (!existsSync(path.join(root, 'services/dispatcher/dist/main.js'))) {
    for (const tier of TIER_NAMES) {
      plan.push({ name: 'worker', entry: 'services/worker/dist/main.js', env: { OUTPOST_WORKER_TIER: tier }, label: `worker (${tier})` });
    }
  }
  return plan;
}

function startChild(
  spec: ServiceSpec,
  entry: string,
  env: Record<string, string>,
  stdio: 'inherit' | 'ignore',
  logger: Logger,
  stopAll: () => Promise<void>,
): ChildProcess {
  // The IPC channel lets the service notice if this launcher dies (stopWhenParentExits).
  const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', stdio, stdio, 'ipc'] });
  const label = spec.label ?? spec.name;
  child.on('exit', (code, signal) => {
    if ((child as ChildProcess & { expectedExit?: boolean }).expectedExit) return;
    logger.error({ service: label, code, signal }, 'service exited unexpectedly; stopping the local stack');
    void stopAll().then(() => process.exit(1));
  });
  return child;
}

async function stopChildren(children: Map<string, ChildProcess>, logger: Logger): Promise<void> {
  await Promise.all(
    [...children.entries()].map(
      ([name, child]) =>
        new Promise<void>((resolve) => {
          (child as ChildProcess & { expectedExit?: boolean }).expectedExit = true;
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          // Workers drain for up to their grace period; past that, nothing may be left behind.
          const kill = setTimeout(() => {
            logger.warn({ service: name }, 'service did not stop in time; killing it');
            child.kill('SIGKILL');
          }, 110_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * The parent's environment for the services: AWS_* is dropped (real credentials must never reach
 * the local stack), and so are per-process identities; every other OUTPOST_* variable passes
 * through, so service settings (e.g. OUTPOST_LOCAL_MAX_WORKERS, OUTPOST_AGENT_CLAUDE_BIN) work
 * with `npm start`. The launcher's own values are spread after this and win.
 */
function inheritSafe(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (/^AWS_/.test(k)) continue;
    if (k === 'OUTPOST_WORKER_ID' || k === 'OUTPOST_WORKER_TIER') continue;
    out[k] = v;
  }
  return out;
}

/**
 * OUTPOST_AGENT_<NAME>_BIN for each pinned CLI installed in the project's cache
 * (`npm run agents -- install`); a variable already set wins.
 */
export function agentBinsFromCache(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, bin] of Object.entries(installedAgentBins(agentCacheDir(env)))) {
    const variable = `OUTPOST_AGENT_${name.toUpperCase()}_BIN`;
    if (!env[variable]) out[variable] = bin;
  }
  return out;
}

/** A port free on 127.0.0.1 right now (tests and `OUTPOST_*_PORT=0`). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function assertPortFree(port: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, variable, { cause: err }) : err),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}
