import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { jobContext, parseWebhookMessage, recordWebhookDelivery, SpanKind, TRACEPARENT_ATTRIBUTE, withSpan, type Logger } from '@outpost/shared';
import { deliverWebhook, type DeliverDeps } from './deliver.js';

export interface NotifierOptions {
  deliver: DeliverDeps;
  sqs: SQSClient;
  queueUrl: string;
  /** @default 8 */
  concurrency?: number;
  /** @default 20 */
  pollSeconds?: number;
  logger: Logger;
}

/**
 * The `outpost-webhooks` consumer: `concurrency` consumers of one message each, so a slow receiver
 * (up to its 10 s timeout) never holds the others. A poison body is logged and deleted; a handler
 * that throws (DynamoDB or SQS down) leaves the message to come back after its visibility timeout,
 * and after maxReceiveCount such failures in the DLQ.
 */
export class Notifier {
  private consumers: Consumer[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: NotifierOptions) {}

  /** One message: exported for tests through `deliverWebhook`; here only the parse and the log. */
  async handle(message: Message): Promise<void> {
    const parsed = parseWebhookMessage(message.Body);
    if (!parsed) {
      this.o.logger.error({ messageId: message.MessageId }, 'webhook message is not valid; deleted');
      return;
    }
    const run = parsed.payload.type === 'webhook.test' ? undefined : parsed.payload.data.run;
    const attributes = {
      'outpost.tenant_id': parsed.tenantId,
      'outpost.webhook.endpoint_id': parsed.endpointId,
      'outpost.webhook.event': parsed.payload.type,
      'outpost.webhook.attempt': parsed.attempt,
      ...(run ? { 'outpost.run_id': run.runId } : {}),
    };
    const outcome = await withSpan(`webhook ${parsed.payload.type}`, { kind: SpanKind.CONSUMER, parent: jobContext(message), attributes }, async (span) => {
      const o = await deliverWebhook(this.o.deliver, parsed);
      span.setAttribute('outpost.webhook.outcome', o);
      return o;
    });
    recordWebhookDelivery(outcome);
    this.o.logger.debug({ messageId: message.MessageId, tenantId: parsed.tenantId, outcome }, 'webhook message handled');
  }

  start(): void {
    for (let i = 0; i < (this.o.concurrency ?? 8); i++) {
      const consumer = Consumer.create({
        queueUrl: this.o.queueUrl,
        sqs: this.o.sqs,
        batchSize: 1,
        // The run's trace context (libs/shared/src/telemetry/job-trace.ts).
        messageAttributeNames: [TRACEPARENT_ATTRIBUTE],
        waitTimeSeconds: this.o.pollSeconds ?? 20,
        visibilityTimeout: 60,
        handleMessage: async (message: Message) => {
          const p = this.handle(message);
          this.inFlight.add(p);
          try {
            await p;
          } finally {
            this.inFlight.delete(p);
          }
          return message;
        },
      });
      consumer.on('error', (err) => {
        if (/not ?in ?flight|ReceiptHandleIsInvalid/i.test(`${err.name} ${err.message}`)) return;
        this.o.logger.warn({ err }, 'sqs consumer error');
      });
      consumer.on('processing_error', (err, message) =>
        this.o.logger.error({ err, messageId: message?.MessageId }, 'webhook handler failed; the message returns after its visibility timeout'),
      );
      consumer.on('timeout_error', (err, message) => this.o.logger.error({ err, messageId: message?.MessageId }, 'webhook handler timed out'));
      consumer.start();
      this.consumers.push(consumer);
    }
  }

  /**
   * Stops receiving (aborting the long polls) and waits for the deliveries in progress, each
   * bounded by its send timeout, so their outcome is recorded before the process exits.
   */
  async stop(): Promise<void> {
    const stopping = this.consumers.map(
      (c) => new Promise<void>((resolve) => (c.status.isRunning ? (c.once('stopped', () => resolve()), c.stop({ abort: true })) : resolve())),
    );
    await Promise.all(stopping);
    await Promise.allSettled([...this.inFlight]);
    this.consumers = [];
  }
}
