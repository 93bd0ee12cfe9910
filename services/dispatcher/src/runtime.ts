import path from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { findRepoRoot, LOCAL_PARAMETER_FILES, openParameterStore, type Logger, type ParameterStore, type Stores } from '@outpost/shared';
import type { DispatcherConfig } from './config.js';
import { EcsScaler } from './ecs-scaler.js';
import { LocalScaler } from './local-scaler.js';
import type { Scaler } from './scaler.js';

/** Repository root, found from this file (services/dispatcher/src or dist). */
const REPO_ROOT = findRepoRoot(import.meta.url);

/** The worker entry the local scaler starts unless OUTPOST_WORKER_ENTRY says otherwise. */
export const DEFAULT_WORKER_ENTRY = path.join(REPO_ROOT, 'services/worker/dist/main.js');

/** `.outpost/fleet.json`: the local stand-in for the SSM fleet parameters. */
export function localFleetFile(home: string): string {
  return path.join(home, LOCAL_PARAMETER_FILES.fleet);
}

/** Where ops overrides live: SSM in aws mode, a JSON file under OUTPOST_HOME locally. */
export function openFleetParams(config: Pick<DispatcherConfig, 'mode' | 'region' | 'home'>): ParameterStore {
  return openParameterStore(config, 'fleet');
}

/** The scaler of the mode: ECS services in aws mode, worker child processes locally. */
export function openScaler(
  config: DispatcherConfig,
  stores: Pick<Stores, 'workers'>,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
): Scaler {
  if (config.mode === 'aws') {
    return new EcsScaler({ ecs: new ECSClient({ region: config.region }), cluster: config.ecsCluster, serviceName: config.ecsServiceName });
  }
  const workerEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'OUTPOST_WORKER_TIER' && k !== 'OUTPOST_WORKER_ID') workerEnv[k] = v;
  return new LocalScaler({
    workers: stores.workers,
    entry: config.workerEntry ?? DEFAULT_WORKER_ENTRY,
    env: workerEnv,
    // A local worker takes as many runs at once as the scaler counts per worker (the tier table's
    // runsPerWorker at start), unless OUTPOST_WORKER_CONCURRENCY is set for every worker.
    tierEnv: (tier): Record<string, string> =>
      env.OUTPOST_WORKER_CONCURRENCY ? {} : { OUTPOST_WORKER_CONCURRENCY: String(config.tiers[tier].runsPerWorker) },
    logger,
    restartBackoffMs: config.restartBackoffMs,
  });
}

