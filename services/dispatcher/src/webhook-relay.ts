import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  buildRunPayload,
  OUTBOX_SHARDS,
  silentLogger,
  systemClock,
  traceAttributes,
  WebhookMessage,
  webhookIdFor,
  type Clock,
  type Logger,
  type OutboxStore,
  type PendingEvents,
  type WebhookEndpoint,
  type WebhookEndpointStore,
} from '@outpost/shared';

export interface WebhookRelayOptions {
  outbox: OutboxStore;
  endpoints: WebhookEndpointStore;
  sqs: SQSClient;
  /** The `outpost-webhooks` queue URL (resolved lazily: the queue may appear after start). */
  queueUrl: () => Promise<string>;
  /** OUTPOST_PUBLIC_URL: payloads link to `${publicUrl}/runs/<runId>`. */
  publicUrl?: string;
  /** Runs read per shard per pass. @default 25 */
  batch?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface RelayReport {
  runs: number;
  messages: number;
  cleared: number;
}

/**
 * Moves marked events from the runs table's outbox index to the webhooks queue: one message per
 * (event, subscribed enabled endpoint of the run's tenant), then clears the mark, conditioned on
 * the mark it read. A crash after the send and before the clear sends again next pass: the
 * `webhook-id` comes from (runId, event), so receivers dedupe. A tenant's events only ever go to
 * endpoints listed under that tenant's own partition.
 */
export class WebhookRelay {
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly o: WebhookRelayOptions) {
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger ?? silentLogger;
  }

  /** One pass over every shard. Per-run failures are logged and left marked for the next pass. */
  async pass(): Promise<RelayReport> {
    const report: RelayReport = { runs: 0, messages: 0, cleared: 0 };
    const endpointsOf = new Map<string, Promise<WebhookEndpoint[]>>();
    for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
      for (const pending of await this.o.outbox.pending(shard, this.o.batch ?? 25)) {
        const { tenantId } = pending.run;
        if (!endpointsOf.has(tenantId)) endpointsOf.set(tenantId, this.o.endpoints.list(tenantId));
        const endpoints = await endpointsOf.get(tenantId)!;
        report.runs++;
        report.messages += await this.relay(pending, endpoints);
        if (await this.o.outbox.clear(tenantId, pending.run.runId, pending.outboxSk)) report.cleared++;
      }
    }
    if (report.messages > 0) this.logger.info({ ...report }, 'webhook events relayed');
    return report;
  }

  private async relay(pending: PendingEvents, endpoints: WebhookEndpoint[]): Promise<number> {
    const now = this.clock.now().toISOString();
    const messages: WebhookMessage[] = [];
    for (const { event, at } of pending.events) {
      const payload = buildRunPayload(pending.run, event, at, this.o.publicUrl);
      for (const endpoint of endpoints) {
        if (!endpoint.enabled || !endpoint.events.includes(event)) continue;
        messages.push(
          WebhookMessage.parse({
            v: 1,
            tenantId: pending.run.tenantId,
            endpointId: endpoint.endpointId,
            webhookId: webhookIdFor(pending.run.runId, event),
            payload,
            attempt: 1,
            firstAttemptAt: now,
          }),
        );
      }
    }
    if (messages.length === 0) return 0;
    const queueUrl = await this.o.queueUrl();
    // Each delivery joins the trace of the run it reports (its dispatch's).
    const attributes = traceAttributes(pending.run.traceparent);
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const out = await this.o.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m), MessageGroupId: m.tenantId, ...(attributes ? { MessageAttributes: attributes } : {}) })),
        }),
      );
      // Any entry not taken keeps the mark: the whole run is relayed again next pass (dedupe by id).
      if (out.Failed && out.Failed.length > 0) throw new Error(`webhooks queue refused ${out.Failed.length} of ${batch.length} messages: ${out.Failed[0]?.Message ?? ''}`);
    }
    return messages.length;
  }
}
