import type { AwsClients, Logger, ParameterStore, Stores } from '@outpost/shared';
import type { WorkerConfig } from './config.js';
import type { JobDeps } from './handle-job.js';

/** What a job-kind handler may use: the worker process's own wiring. */
export interface WorkerContext {
  config: WorkerConfig;
  clients: AwsClients;
  stores: Stores;
  params: ParameterStore;
  logger: Logger;
}

/**
 * Handlers for job kinds other than `run`, built once per worker process. This is the extension
 * point for `promote` (implemented under src/promote/): register it here as
 * `promote: createPromoteHandler(ctx)`. A kind without a handler stays on the queue.
 */
export function createKindHandlers(ctx: WorkerContext): NonNullable<JobDeps['handlers']> {
  void ctx;
  return {};
}
