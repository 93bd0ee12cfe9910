import type { RunRecord } from '../schemas/run.js';
import { instruments } from './instruments.js';

type RunFacts = Pick<RunRecord, 'tier' | 'agent'>;

function seconds(fromIso: string | undefined, to: Date): number | undefined {
  if (!fromIso) return undefined;
  const ms = to.getTime() - Date.parse(fromIso);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

/** A run was created (dispatch, a follow-up, a retry). */
export function recordRunDispatched(run: RunFacts): void {
  instruments().runsDispatched.add(1, { tier: run.tier, agent: run.agent });
}

/** A worker leased the run: how long it waited in the queue this time. */
export function recordRunLeased(run: Pick<RunRecord, 'tier' | 'queuedAt'>, now: Date): void {
  const wait = seconds(run.queuedAt, now);
  if (wait !== undefined) instruments().queueWait.record(wait, { tier: run.tier });
}

/** The run reached a terminal status (by whoever wrote it: worker, edge, dispatcher). */
export function recordRunEnded(run: RunFacts & Pick<RunRecord, 'status' | 'startedAt' | 'finishedAt'>): void {
  const attributes = { tier: run.tier, agent: run.agent, status: run.status };
  const m = instruments();
  m.runsFinished.add(1, attributes);
  const duration = run.finishedAt ? seconds(run.startedAt, new Date(run.finishedAt)) : undefined;
  if (duration !== undefined) m.runDuration.record(duration, attributes);
}

/** One model call through the gateway, by tenant. */
export function recordModelUsage(u: { tenantId: string; provider: string; inputTokens: number; outputTokens: number; costUsd: number }): void {
  const m = instruments();
  if (u.inputTokens > 0) m.modelTokens.add(u.inputTokens, { tenant: u.tenantId, provider: u.provider, kind: 'input' });
  if (u.outputTokens > 0) m.modelTokens.add(u.outputTokens, { tenant: u.tenantId, provider: u.provider, kind: 'output' });
  if (u.costUsd > 0) m.modelCost.add(u.costUsd, { tenant: u.tenantId, provider: u.provider });
}

/** One webhook message handled, by what became of it (the notifier's DeliverOutcome). */
export function recordWebhookDelivery(outcome: string): void {
  instruments().webhookDeliveries.add(1, { outcome });
}
