#!/usr/bin/env node
import { ConfigError, createAwsClients, createLogger, openParameterStore, openStores, startTelemetry, stopWhenParentExits } from '@outpost/shared';
import { loadWorkerConfig } from './config.js';
import { StopRequests, type StopSource } from './stop-requests.js';
import { EcsAgentTaskProtection, noTaskProtection } from './task-protection.js';
import { Worker } from './worker.js';

// Process entry: `node services/worker/dist/main.js` (the local launcher and ECS both start it).
async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ service: 'worker', level: config.logLevel });
  const telemetry = startTelemetry({ serviceName: 'outpost-worker', settings: config.telemetry, logger });
  const clients = createAwsClients(config);
  const params = openParameterStore(config, 'secrets');
  const taskProtection =
    config.mode === 'aws' && config.ecsAgentUri ? new EcsAgentTaskProtection(config.ecsAgentUri, logger) : noTaskProtection;
  const stores = openStores(config, clients);
  const worker = new Worker({ config, clients, params, logger, taskProtection, stores });

  const requests = new StopRequests();
  const shutdown = (source: StopSource) => {
    const action = requests.request(source);
    if (action === 'ignore') {
      logger.info({ signal: source }, 'already draining; this stop request changes nothing');
      return;
    }
    if (action === 'exit_now') {
      logger.warn({ signal: source }, 'interrupted again; exiting now without draining');
      process.exit(1);
    }
    logger.info({ signal: source }, 'draining');
    worker.stop().then(
      async () => {
        clients.destroy();
        await telemetry.shutdown();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  stopWhenParentExits(() => shutdown('parent exited'));
  await worker.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
