import { BaseEnv } from '@outpost/shared';
import { LocalStackEnv } from '@outpost/infra/local';
import { McpEdgeEnv } from '@outpost/mcp-edge';
import { WorkerEnv } from '@outpost/worker';
import { DispatcherEnv } from '@outpost/dispatcher';
import { NotifierEnv } from '@outpost/notifier';
import type { EnvSection } from './config-docs.js';

/** Every env schema in the repo, in the order the reference lists them; each lists only its own variables. */
export const CONFIG_SECTIONS: readonly EnvSection[] = [
  { title: 'Shared', readBy: 'every service and the admin commands', schema: BaseEnv },
  { title: 'Local stack (`npm start`)', readBy: 'the local launcher', schema: LocalStackEnv },
  { title: 'MCP edge', readBy: 'services/mcp-edge (HTTP server, `outpost-mcp` stdio, `npm run tenant`)', schema: McpEdgeEnv },
  { title: 'Worker', readBy: 'services/worker (one process per tier)', schema: WorkerEnv },
  { title: 'Dispatcher', readBy: 'services/dispatcher (scaler, reaper, DLQ drain, webhook relay) and `npm run fleet`', schema: DispatcherEnv },
  { title: 'Notifier', readBy: 'services/notifier (webhook deliveries, docs/webhooks.md)', schema: NotifierEnv },
];
