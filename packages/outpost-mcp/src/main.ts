#!/usr/bin/env node
import { startStdioServer, StdioStartError } from '@outpost/mcp-edge';

// `outpost-mcp`: the process around the edge's stdio server. Exit codes: 0 when the client closes
// stdin or a signal stops it, 2 when it cannot start as configured, 1 on anything else.
async function main(): Promise<void> {
  const server = await startStdioServer(process.env);
  const stop = () => void server.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
}

main().catch((err: unknown) => {
  if (err instanceof StdioStartError) {
    process.stderr.write(`outpost-mcp: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`outpost-mcp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
