import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PublicRun, toPublicRun, type RunRecord, type TerminalStatus } from '../schemas/run.js';

/** Every event an endpoint can subscribe to. `run.started` only when asked for (see DEFAULT_WEBHOOK_EVENTS). */
export const WEBHOOK_EVENT_TYPES = ['run.started', 'run.succeeded', 'run.failed', 'run.timed_out', 'run.cancelled', 'run.promoted'] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** What `webhook add` subscribes to when no `--events` is given: every event but `run.started`. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES.filter((e) => e !== 'run.started');

/** Longest task text a payload carries; the rest is cut (SQS bodies are at most 256 KiB). */
export const PAYLOAD_TASK_CHARS = 2000;

/**
 * The run as `get_run` shows it, without the log tail and without presigned URLs (get_run adds
 * those at read time; a delivery may be read long after they expired).
 */
export const WebhookRun = PublicRun.omit({ logTail: true });
export type WebhookRun = z.infer<typeof WebhookRun>;

const RunEventData = z.object({
  run: WebhookRun,
  /** One line a person can read: status, agent, repo, changes. */
  summary: z.string(),
  /** The run's dashboard page, when OUTPOST_PUBLIC_URL is set. */
  dashboardUrl: z.string().url().optional(),
});

/** The body of a delivery, shaped as Standard Webhooks suggests: `{ type, timestamp, data }`. */
export const WebhookPayload = z.discriminatedUnion('type', [
  z.object({ type: WebhookEventType, timestamp: z.string(), data: RunEventData }),
  z.object({ type: z.literal('webhook.test'), timestamp: z.string(), data: z.object({ summary: z.string() }) }),
]);
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** The event a terminal status emits. */
export function terminalEvent(status: TerminalStatus): WebhookEventType {
  return `run.${status}`;
}

/**
 * The `webhook-id` of an event: derived from (runId, event) alone, so every attempt and every
 * re-relay after a crash carries the same id and receivers can dedupe.
 */
export function webhookIdFor(runId: string, event: WebhookEventType): string {
  return `msg_${createHash('sha256').update(`${runId}:${event}`).digest('hex').slice(0, 32)}`;
}

/** A run's dashboard page, when the deployment has a public URL. */
export function dashboardUrlFor(publicUrl: string | undefined, runId: string): string | undefined {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}/runs/${runId}` : undefined;
}

/** One line about a run for people: what Slack and Discord show, and `data.summary`. */
export function runSummaryLine(run: RunRecord, event: WebhookEventType): string {
  const parts = [`${run.runId} ${event.slice(4).replace('_', ' ')}`, `agent ${run.agent}`, `repo ${run.repo}`];
  if (run.summary) parts.push(`${run.summary.filesChanged} files changed (+${run.summary.insertions}/-${run.summary.deletions})`);
  if (run.error && run.status !== 'succeeded') parts.push(`${run.error.code}: ${run.error.message}`.slice(0, 200));
  if (event === 'run.promoted' && run.promotion) parts.push(`branch ${run.promotion.branch}`);
  return parts.join(', ');
}

/** The payload of one event of a run, as read from the run item when the event is relayed. */
export function buildRunPayload(run: RunRecord, event: WebhookEventType, occurredAt: string, publicUrl?: string): WebhookPayload {
  const { logTail, ...view } = toPublicRun(run);
  void logTail;
  const task = view.task && view.task.length > PAYLOAD_TASK_CHARS ? `${view.task.slice(0, PAYLOAD_TASK_CHARS)}…` : view.task;
  const dashboardUrl = dashboardUrlFor(publicUrl, run.runId);
  return WebhookPayload.parse({
    type: event,
    timestamp: occurredAt,
    data: { run: { ...view, ...(task !== undefined ? { task } : {}) }, summary: runSummaryLine(run, event), ...(dashboardUrl ? { dashboardUrl } : {}) },
  });
}
