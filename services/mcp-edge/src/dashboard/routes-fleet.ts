import type { FleetHistoryPoint, FleetResponse } from '@outpost/dashboard-api';
import { AGENT_NAMES, TIER_NAMES, type RunRecord } from '@outpost/shared';
import { fleetStatus } from '../domain/fleet-status.js';
import type { ApiRequest, DashboardDeps } from './context.js';
import { sendJson } from './headers.js';

/** Most of the tenant's runs read for the run-starts chart (a busier hour is cut at this many). */
const MAX_HISTORY_RUNS = 1_000;

/**
 * `GET /api/fleet`: fleet_status's data reshaped for the page, plus the last hour: queue depth from
 * the edge's per-minute samples, run starts from the tenant's own runs (startedAt, by minute).
 */
export async function getFleet(request: ApiRequest, deps: DashboardDeps): Promise<void> {
  const { tool } = request;
  await deps.history.start();
  const [status, recent] = await Promise.all([fleetStatus(tool), recentRuns(request)]);
  const available = new Set(status.agentsAvailable);
  const body: FleetResponse = {
    tiers: status.tiers.map((t) => ({
      tier: t.tier,
      queueDepth: t.queue.visible,
      inFlight: t.queue.inFlight,
      deadLetter: t.queue.deadLetter,
      oldestJobAgeSeconds: t.oldestQueuedAgeSeconds,
      workers: {
        desired: t.workers.desired,
        running: t.workers.running,
        busy: t.workers.busy,
        idle: t.workers.idle,
        min: status.fleet[t.tier]?.min ?? null,
        max: status.fleet[t.tier]?.max ?? null,
      },
    })),
    agents: AGENT_NAMES.map((name) => {
      const seen = status.agents.find((a) => a.agent === name);
      return { name, versions: seen?.versions ?? [], ready: available.has(name), ...(seen?.note ? { note: seen.note } : {}) };
    }),
    usage: {
      tier: status.usage.tier,
      activeRuns: status.usage.activeRuns,
      runsToday: status.usage.runsToday,
      spendThisMonthUsd: {
        used: status.usage.spendThisMonth.usd,
        limit: status.usage.spendThisMonth.limitUsd,
        resetsAt: status.usage.spendThisMonth.resetsAt,
      },
      maxTimeoutSeconds: status.usage.maxTimeoutSeconds,
    },
    history: { points: historyPoints(deps, recent) },
  };
  sendJson(request.res, 200, body);
}

function historyPoints(deps: DashboardDeps, recent: RunRecord[]): FleetHistoryPoint[] {
  const points: FleetHistoryPoint[] = [];
  for (const tier of TIER_NAMES) {
    const starts = new Map<number, number>();
    for (const run of recent) {
      if (run.tier !== tier || !run.startedAt) continue;
      const minute = Math.floor(Date.parse(run.startedAt) / 60_000) * 60_000;
      starts.set(minute, (starts.get(minute) ?? 0) + 1);
    }
    for (const { minute, depth } of deps.history.depths(tier)) {
      points.push({ at: new Date(minute).toISOString(), tier, queueDepth: depth, runStarts: starts.get(minute) ?? 0 });
    }
  }
  return points;
}

/** The tenant's runs created in the last hour (a run starts after it is created). */
async function recentRuns({ tool }: ApiRequest): Promise<RunRecord[]> {
  const since = new Date(tool.clock.now().getTime() - 60 * 60_000);
  const runs: RunRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await tool.stores.runs.list(tool.tenant.tenantId, { since, limit: 100, ...(cursor ? { cursor } : {}) });
    runs.push(...page.runs);
    cursor = page.nextCursor;
  } while (cursor && runs.length < MAX_HISTORY_RUNS);
  return runs;
}
