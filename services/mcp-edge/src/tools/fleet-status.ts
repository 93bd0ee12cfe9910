import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from '../deps.js';
import { fleetStatus, FleetStatusOutput } from '../domain/fleet-status.js';
import { guarded, ok } from './results.js';

// Built once: given raw shapes, the SDK would build them on every registration.
export const FleetStatusInput = z.object({});

/** `fleet_status`: queues, workers, available agents and the caller's own usage. Names no other tenant. */
export function registerFleetStatus(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'fleet_status',
    {
      title: 'Fleet status',
      description:
        'Health of the worker fleet: per tier, queued and in-flight jobs, dead letters, workers (desired, running, ' +
        'busy, idle), age of the oldest queued run; which agents are available; and your own usage against your ' +
        "tier's limits (active runs, runs today, model spend this month). Call it before a large fan-out or when runs stay queued.",
      inputSchema: FleetStatusInput,
      outputSchema: FleetStatusOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      guarded(deps.logger, 'fleet_status', async () => {
        const { tiers, agentsAvailable, agents: agentList, usage, webhooks } = await fleetStatus(deps);
        const text = [
          ...tiers.map(
            (t) =>
              `${t.tier}: ${t.queue.visible} queued, ${t.queue.inFlight} in flight, ${t.queue.deadLetter} dead-lettered; ` +
              `workers ${t.workers.running}/${t.workers.desired} running (${t.workers.busy} busy, ${t.workers.idle} idle)` +
              (t.oldestQueuedAgeSeconds !== null ? `; oldest queued ${Math.round(t.oldestQueuedAgeSeconds)}s` : ''),
          ),
          `agents available: ${agentList.map((a) => `${a.agent} (${a.versions.join(', ')}${a.note ? '; untested against the real CLI' : ''})`).join(', ') || 'none (no live worker)'}`,
          `your usage (${usage.tier}): ${usage.activeRuns.used}/${usage.activeRuns.limit} active, ` +
            `${usage.runsToday.used}/${usage.runsToday.limit ?? '∞'} today (resets ${usage.runsToday.resetsAt}); ` +
            `$${usage.spendThisMonth.usd.toFixed(2)}${usage.spendThisMonth.limitUsd === null ? ' spent this month (no limit)' : ` of $${usage.spendThisMonth.limitUsd.toFixed(2)} spent this month (resets ${usage.spendThisMonth.resetsAt})`}`,
          `webhooks: ${webhooks.map((w) => `${w.endpointId} ${w.kind} ${w.url} ${w.enabled ? 'enabled' : `disabled (${w.disabledReason ?? 'by request'})`}`).join('; ') || 'none'}`,
        ].join('\n');
        return ok({ tiers, agentsAvailable, agents: agentList, usage, webhooks }, text);
      }),
  );
}

