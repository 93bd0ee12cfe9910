import { ConfigError, createAwsClients, createLogger, startTelemetry, stopWhenParentExits } from '@outpost/shared';
import { loadNotifierConfig } from './config.js';
import { Notifier } from './notifier.js';
import { openDeliverDeps } from './open-notifier.js';

/** The notifier process: delivers webhook messages until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadNotifierConfig();
  const logger = createLogger({ service: 'notifier', level: config.logLevel });
  const telemetry = startTelemetry({ serviceName: 'outpost-notifier', settings: config.telemetry, logger });
  const clients = createAwsClients(config);
  const deliver = await openDeliverDeps(config, clients, logger);
  const notifier = new Notifier({ deliver, sqs: clients.sqs, queueUrl: deliver.queueUrl, concurrency: config.concurrency, pollSeconds: config.pollSeconds, logger });
  notifier.start();
  logger.info({ mode: config.mode, concurrency: config.concurrency }, 'notifier started');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'notifier stopping');
    void (async () => {
      await notifier.stop();
      await deliver.sender.close();
      clients.destroy();
      await telemetry.shutdown();
      logger.info('notifier stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  stopWhenParentExits(() => shutdown('parent exited'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
