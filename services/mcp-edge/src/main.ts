import { ConfigError, createLogger, startTelemetry, stopWhenParentExits } from '@outpost/shared';
import { loadMcpEdgeConfig } from './config.js';
import { startEdge } from './http/server.js';

// The edge process: `npm start` (local) or the ECS service (aws) runs this.
async function main(): Promise<void> {
  let config;
  try {
    config = loadMcpEdgeConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcp-edge: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ service: 'mcp-edge', level: config.logLevel });
  const telemetry = startTelemetry({ serviceName: 'outpost-edge', settings: config.telemetry, logger });
  const edge = await startEdge({ config, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new requests, finishing in-flight calls');
    void edge.close(config.shutdownGraceMs).then(
      async () => {
        await telemetry.shutdown();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  stopWhenParentExits(() => stop('parent exited'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`mcp-edge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
