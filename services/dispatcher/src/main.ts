import { createAwsClients, createLogger, openStores, ConfigError, startTelemetry, stopWhenParentExits } from '@outpost/shared';
import { openWebhookRelay } from './webhook-wiring.js';
import { loadDispatcherConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { openFleetParams, openScaler } from './runtime.js';

/** The dispatcher process: the control loop plus the scaler of the mode, until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadDispatcherConfig();
  const logger = createLogger({ service: 'dispatcher', level: config.logLevel });
  const telemetry = startTelemetry({ serviceName: 'outpost-dispatcher', settings: config.telemetry, logger });
  const clients = createAwsClients(config);
  const stores = openStores(config, clients);
  const scaler = openScaler(config, stores, logger);
  const dispatcher = new Dispatcher({
    sqs: clients.sqs,
    stores,
    scaler,
    params: openFleetParams(config),
    env: config.env,
    tiers: config.tiers,
    intervalMs: config.intervalMs,
    scaleInCooldownMs: config.scaleInCooldownMs,
    staleQueuedMs: config.staleQueuedMs,
    ...(config.mode === 'local' ? { localCap: config.localMaxWorkers } : {}),
    webhooks: openWebhookRelay(config, clients, stores, logger),
    logger,
  });
  logger.info({ mode: config.mode, scaler: scaler.source, intervalMs: config.intervalMs }, 'dispatcher started');
  dispatcher.start();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'dispatcher stopping');
    void (async () => {
      await dispatcher.stop();
      await scaler.stop(); // local: drains and stops every worker child; ECS: nothing
      clients.destroy();
      await telemetry.shutdown();
      logger.info('dispatcher stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  stopWhenParentExits(() => shutdown('parent exited'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
