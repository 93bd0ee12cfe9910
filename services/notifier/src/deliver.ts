import {
  webhookSecretPath,
  type Clock,
  type Logger,
  type ParameterStore,
  type WebhookDeliveryStore,
  type WebhookEndpoint,
  type WebhookEndpointStore,
  type WebhookMessage,
} from '@outpost/shared';
import { DeliveryRefusedError } from './address-guard.js';
import { chatBody } from './chat-messages.js';
import type { Sender, WebhookRequest } from './http-sender.js';
import { retryDelayMs } from './retry-schedule.js';
import { signedHeaders } from './signing.js';

export interface DeliverDeps {
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  /** Where signing secrets live (SSM, or .outpost/secrets.json). */
  params: ParameterStore;
  env: string;
  /** Queues a message again after `delaySeconds` (the real one: sendWebhookMessage, which caps at 15 min). */
  requeue: (message: WebhookMessage, delaySeconds: number) => Promise<void>;
  sender: Sender;
  clock: Clock;
  /** @default Math.random (the retry jitter) */
  random?: () => number;
  logger: Logger;
}

/** What became of one message: tests and logs. */
export type DeliverOutcome = 'delivered' | 'retry_scheduled' | 'gave_up' | 'redelayed' | 'dropped';

/**
 * Handles one `outpost-webhooks` message: one attempt of one event to one endpoint. Returns once
 * the outcome is recorded and any retry is queued; the consumer deletes the message only then, so
 * a crash in between re-delivers (at least once; receivers dedupe by `webhook-id`).
 */
export async function deliverWebhook(deps: DeliverDeps, message: WebhookMessage): Promise<DeliverOutcome> {
  const now = deps.clock.now();
  const runId = message.payload.type === 'webhook.test' ? undefined : message.payload.data.run.runId;
  const log = deps.logger.child({
    tenantId: message.tenantId,
    ...(runId ? { runId } : {}),
    endpointId: message.endpointId,
    webhookId: message.webhookId,
    attempt: message.attempt,
  });
  // A wait longer than SQS's 15 minutes arrives early: send it on for the rest.
  if (message.dueAt && Date.parse(message.dueAt) > now.getTime() + 1000) {
    await deps.requeue(message, (Date.parse(message.dueAt) - now.getTime()) / 1000);
    return 'redelayed';
  }
  const endpoint = await deps.endpoints.get(message.tenantId, message.endpointId);
  if (!endpoint || !endpoint.enabled) {
    log.info({ reason: endpoint ? 'disabled' : 'removed' }, 'webhook dropped: endpoint gone or disabled');
    return 'dropped';
  }
  const event = message.payload.type;
  if (event !== 'webhook.test' && !endpoint.events.includes(event)) return 'dropped';

  let statusCode: number | undefined;
  let latencyMs = 0;
  let error: string | undefined;
  let refused = false;
  try {
    const result = await deps.sender.send(await buildRequest(deps, endpoint, message, Math.floor(now.getTime() / 1000)));
    ({ statusCode, latencyMs } = result);
    if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}: ${result.responseExcerpt.slice(0, 200)}`;
  } catch (err) {
    refused = err instanceof DeliveryRefusedError;
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const base = { tenantId: message.tenantId, endpointId: message.endpointId, webhookId: message.webhookId, event, attempt: message.attempt, latencyMs };
  if (error === undefined) {
    await deps.deliveries.record({ ...base, outcome: 'delivered', ...(statusCode !== undefined ? { statusCode } : {}) });
    await deps.endpoints.recordSuccess(message.tenantId, message.endpointId);
    log.info({ statusCode, latencyMs, event }, 'webhook delivered');
    return 'delivered';
  }
  const after = await deps.endpoints.recordFailure(message.tenantId, message.endpointId, error);
  const delay = after.enabled ? retryDelayMs(message.attempt, deps.random) : undefined;
  const nextAttemptAt = delay === undefined ? undefined : new Date(now.getTime() + delay).toISOString();
  await deps.deliveries.record({
    ...base,
    outcome: refused ? 'refused' : 'failed',
    ...(statusCode !== undefined ? { statusCode } : {}),
    error: error.slice(0, 500),
    ...(nextAttemptAt ? { nextAttemptAt } : {}),
  });
  if (delay === undefined || !nextAttemptAt) {
    // The last attempt of an event failed too: the endpoint has failed for about a day.
    if (after.enabled) {
      const hours = Math.round((now.getTime() - Date.parse(message.firstAttemptAt)) / 3600_000);
      await deps.endpoints.disable(message.tenantId, message.endpointId, `all ${message.attempt} attempts of ${event} failed over ${hours} h; last error: ${error}`);
    }
    log.warn({ event, error }, 'webhook given up after the last attempt; endpoint disabled');
    return 'gave_up';
  }
  await deps.requeue({ ...message, attempt: message.attempt + 1, dueAt: nextAttemptAt }, delay / 1000);
  log.info({ event, error, nextAttemptAt }, 'webhook attempt failed; retry scheduled');
  return 'retry_scheduled';
}

async function buildRequest(deps: DeliverDeps, endpoint: WebhookEndpoint, message: WebhookMessage, timestamp: number): Promise<WebhookRequest> {
  if (endpoint.kind !== 'standard') return { url: endpoint.url, headers: {}, body: chatBody(endpoint.kind, message.payload) };
  const secret = await deps.params.get(webhookSecretPath(deps.env, endpoint.tenantId, endpoint.endpointId));
  if (!secret) throw new DeliveryRefusedError('the endpoint has no signing secret; run `webhook rotate-secret`');
  const body = JSON.stringify(message.payload);
  return { url: endpoint.url, headers: signedHeaders(secret, message.webhookId, timestamp, body), body };
}
