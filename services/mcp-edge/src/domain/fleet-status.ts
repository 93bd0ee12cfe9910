import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { AgentName, maskWebhookUrl, monthResetsAt, REAL_CLI_UNTESTED, TIER_NAMES, TierName, WebhookEndpoint, type FleetState, type WorkerHeartbeat } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';

export const TierStatus = z.object({
  tier: TierName,
  queue: z.object({
    visible: z.number().int().nonnegative().describe('Jobs waiting for a worker.'),
    inFlight: z.number().int().nonnegative().describe('Jobs a worker has taken.'),
    deadLetter: z.number().int().nonnegative().describe('Jobs no worker could settle.'),
  }),
  workers: z.object({
    desired: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
    busy: z.number().int().nonnegative(),
    idle: z.number().int().nonnegative(),
    draining: z.number().int().nonnegative(),
    source: z.enum(['ecs', 'local', 'heartbeats']).describe('Where desired/running come from: the dispatcher (ecs/local) or live heartbeats.'),
  }),
  oldestQueuedAgeSeconds: z.number().nonnegative().nullable().describe('Age of the oldest queued run of the tier; null when none is queued.'),
});

export const FleetStatusOutputShape = {
  tiers: z.array(TierStatus),
  agentsAvailable: z.array(AgentName).describe('Agents some live worker found and can run.'),
  agents: z
    .array(
      z.object({
        agent: AgentName,
        versions: z.array(z.string()).describe('What the live workers\' CLIs report as their version (several during a rollout).'),
        note: z.string().optional().describe('Set when the adapter was never tested against the real CLI, with why.'),
      }),
    )
    .describe('Each available agent with its CLI version.'),
  usage: z.object({
    tier: TierName,
    activeRuns: z.object({ used: z.number().int(), limit: z.number().int() }),
    runsToday: z.object({ used: z.number().int(), limit: z.number().int().nullable(), resetsAt: z.string() }),
    maxTimeoutSeconds: z.number().int(),
    spendThisMonth: z
      .object({
        usd: z.number().nonnegative().describe('What your runs spent on models this UTC month.'),
        limitUsd: z.number().nullable().describe("Your tier's monthly limit; null is none. Dispatch is refused once it is reached."),
        resetsAt: z.string().describe('The first of next month, 00:00 UTC.'),
      })
      .describe('Model spend this month against your limit (counted by the workers\' model gateways).'),
  }),
  webhooks: z
    .array(
      WebhookEndpoint.pick({ endpointId: true, kind: true, events: true, enabled: true, disabledReason: true, failingSince: true, lastSuccessAt: true }).extend({
        url: z.string().describe('Origin and first path segment only: chat webhook URLs are secrets.'),
      }),
    )
    .describe('Your webhook endpoints (read-only; `npm run tenant -- webhook …` manages them). Never a secret.'),
};

export const FleetStatusOutput = z.object(FleetStatusOutputShape);
export type FleetStatus = z.infer<typeof FleetStatusOutput>;

/** What fleet_status reports, as data (the dashboard's fleet page reads it too), with the dispatcher's fleet state per tier. */
export async function fleetStatus(deps: ToolDeps): Promise<FleetStatus & { fleet: Partial<Record<TierName, FleetState>> }> {
  const perTier = await Promise.all(TIER_NAMES.map((tier) => tierStatus(deps, tier)));
  const versions = new Map<AgentName, Set<string>>();
  for (const { live } of perTier)
    for (const hb of live)
      for (const a of hb.agents) {
        const seen = versions.get(a) ?? new Set<string>();
        seen.add(hb.agentVersions?.[a] ?? 'unknown');
        versions.set(a, seen);
      }
  const agents = [...versions.keys()].sort();
  const agentList = agents.map((agent) => {
    const note = REAL_CLI_UNTESTED[agent];
    return { agent, versions: [...(versions.get(agent) ?? [])].sort(), ...(note ? { note: `untested against the real CLI: ${note}` } : {}) };
  });
  const usage = await ownUsage(deps);
  const webhooks = (await deps.stores.webhooks.list(deps.tenant.tenantId)).map((w) => ({
    endpointId: w.endpointId,
    url: maskWebhookUrl(w.url),
    kind: w.kind,
    events: w.events,
    enabled: w.enabled,
    ...(w.disabledReason ? { disabledReason: w.disabledReason } : {}),
    ...(w.failingSince ? { failingSince: w.failingSince } : {}),
    ...(w.lastSuccessAt ? { lastSuccessAt: w.lastSuccessAt } : {}),
  }));
  const fleet: Partial<Record<TierName, FleetState>> = {};
  for (const t of perTier) if (t.fleet) fleet[t.status.tier] = t.fleet;
  return { tiers: perTier.map((t) => t.status), agentsAvailable: agents, agents: agentList, usage, webhooks, fleet };
}

async function tierStatus(
  deps: ToolDeps,
  tier: TierName,
): Promise<{ status: z.infer<typeof TierStatus>; live: WorkerHeartbeat[]; fleet: FleetState | undefined }> {
  const [jobs, dlq, fleet, live, oldest] = await Promise.all([
    queueCounts(deps, await deps.stores.queues.jobsUrl(tier)),
    queueCounts(deps, await deps.stores.queues.dlqUrl(tier)),
    deps.stores.workers.getFleetState(tier),
    deps.stores.workers.listLive(tier),
    deps.stores.runs.listActive({ tier, status: 'queued', limit: 1 }),
  ]);
  const busy = live.filter((w) => w.state === 'busy' || (w.state !== 'draining' && w.currentRuns.length > 0)).length;
  const draining = live.filter((w) => w.state === 'draining').length;
  const oldestRun = oldest.runs[0];
  const oldestAge = oldestRun ? Math.max(0, (deps.clock.now().getTime() - Date.parse(oldestRun.queuedAt)) / 1000) : null;
  return {
    live,
    fleet,
    status: {
      tier,
      queue: { visible: jobs.visible, inFlight: jobs.inFlight, deadLetter: dlq.visible + dlq.inFlight },
      workers: {
        desired: fleet?.desired ?? live.length,
        running: fleet?.running ?? live.length,
        pending: fleet?.pending ?? 0,
        busy,
        idle: live.length - busy - draining,
        draining,
        source: fleet?.source ?? 'heartbeats',
      },
      oldestQueuedAgeSeconds: oldestAge,
    },
  };
}

async function queueCounts(deps: ToolDeps, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await deps.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function ownUsage(deps: ToolDeps) {
  const { tenantId, tier } = deps.tenant;
  const limits = deps.config.tiers[tier];
  const [active, today, spent] = await Promise.all([
    deps.stores.usage.getActive(tenantId),
    deps.stores.usage.getDaily(tenantId),
    deps.stores.usage.monthlySpend(tenantId),
  ]);
  const now = deps.clock.now();
  const resets = new Date(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  resets.setUTCDate(resets.getUTCDate() + 1);
  return {
    tier,
    activeRuns: { used: active, limit: limits.activeRunsPerTenant },
    runsToday: { used: today, limit: limits.runsPerDay, resetsAt: resets.toISOString() },
    maxTimeoutSeconds: limits.maxTimeoutSeconds,
    spendThisMonth: { usd: spent, limitUsd: limits.monthlySpendUsd, resetsAt: monthResetsAt(now) },
  };
}
