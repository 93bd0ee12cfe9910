#!/usr/bin/env node
import { ConfigError, createLogger, parseEnv } from '@outpost/shared';
import { LocalStackEnv } from './config.js';
import { PortInUseError } from './emulators.js';
import { launchLocalStack, REPO_ROOT } from './launcher.js';
import { bannerLines } from './banner.js';

const EDGE_READY_TIMEOUT_MS = 30_000;

/** Polls the edge's liveness route until it answers 200, or the deadline passes. */
async function waitForEdge(mcpUrl: string, timeoutMs: number): Promise<boolean> {
  const healthz = new URL('/healthz', mcpUrl);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetch(healthz, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// `npm start`: the whole fleet on this machine, no AWS account.
async function main(): Promise<void> {
  let env: LocalStackEnv;
  try {
    env = parseEnv(LocalStackEnv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ service: 'local-stack', level: env.OUTPOST_LOG_LEVEL });
  let stack;
  try {
    stack = await launchLocalStack({ env, logger });
  } catch (err) {
    if (err instanceof PortInUseError) {
      process.stderr.write(`outpost: ${err.message}\n`);
      process.exit(3);
    }
    throw err;
  }
  let firstSignalAt: number | undefined;
  const shutdown = (signal: string) => {
    if (firstSignalAt !== undefined) {
      // One stop request often arrives twice (to the launcher and to its process group, e.g. from
      // `timeout` or a supervisor): only a repeat after a pause means "stop now".
      if (Date.now() - firstSignalAt < 2000) return;
      // A second Ctrl-C must not leave services running behind an exiting launcher.
      process.stderr.write('outpost: stopping now\n');
      for (const child of stack.children.values()) child.kill('SIGKILL');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, 'stopping the local stack');
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // "Running" must be true when printed: a `claude mcp add` run at once should find the edge listening.
  const edgeUp = stack.children.has('mcp-edge') ? await waitForEdge(stack.local.mcpUrl, EDGE_READY_TIMEOUT_MS) : true;
  if (!edgeUp) process.stderr.write(`outpost: the MCP edge did not answer ${new URL('/healthz', stack.local.mcpUrl).href} within ${EDGE_READY_TIMEOUT_MS / 1000} s\n`);
  if (firstSignalAt !== undefined) return; // stopping already: no banner for a stack on its way down
  const lines = bannerLines({
    local: stack.local,
    home: stack.home,
    root: REPO_ROOT,
    skipped: stack.skipped,
    agentsFromCache: stack.agentsFromCache,
    services: [...stack.children.keys()],
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`outpost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
