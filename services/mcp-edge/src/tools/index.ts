import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../deps.js';
import { registerCancelRun } from './cancel-run.js';
import { registerDispatch } from './dispatch.js';
import { registerFleetStatus } from './fleet-status.js';
import { registerGetRun } from './get-run.js';
import { registerListRuns } from './list-runs.js';
import { registerPromote } from './promote.js';
import { registerRetry } from './retry.js';
import { registerWaitForRun } from './wait-for-run.js';

export type ToolRegistrar = (server: McpServer, deps: ToolDeps) => void;

/** Every tool the edge serves, in the order clients list them. A new tool is one more line. */
export const TOOLS: readonly ToolRegistrar[] = [
  registerDispatch,
  registerGetRun,
  registerListRuns,
  registerCancelRun,
  registerWaitForRun,
  registerPromote,
  registerRetry,
  registerFleetStatus,
];
