import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';

/** `delivered`: a 2xx. `failed`: an answer that is not 2xx, or no answer. `refused`: we would not send (SSRF rule, no secret). */
export const DeliveryOutcome = z.enum(['delivered', 'failed', 'refused']);
export type DeliveryOutcome = z.infer<typeof DeliveryOutcome>;

/** One attempt to deliver one event to one endpoint. */
export const WebhookDelivery = z.object({
  /** `tenantId#endpointId`: the partition key. */
  endpointKey: z.string(),
  /** `attemptedAt#webhookId#attempt`: sorts by time. */
  deliveryKey: z.string(),
  tenantId: z.string(),
  endpointId: z.string(),
  webhookId: z.string(),
  event: z.string(),
  attempt: z.number().int().positive(),
  attemptedAt: z.string(),
  outcome: DeliveryOutcome,
  statusCode: z.number().int().optional(),
  latencyMs: z.number().nonnegative(),
  error: z.string().optional(),
  /** When the next attempt is due; absent when this was the last one. */
  nextAttemptAt: z.string().optional(),
  expiresAt: z.number().int(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export type NewDelivery = Omit<WebhookDelivery, 'endpointKey' | 'deliveryKey' | 'expiresAt' | 'attemptedAt'>;

/** Attempts are kept this long (DynamoDB TTL). */
export const DELIVERY_RETENTION_DAYS = 30;

/** Every delivery attempt, per endpoint, newest first on read. */
export class WebhookDeliveryStore {
  private readonly clock: Clock;

  constructor(private readonly opts: { tableName: string; doc: DynamoDBDocumentClient; clock?: Clock }) {
    this.clock = opts.clock ?? systemClock;
  }

  async record(input: NewDelivery): Promise<WebhookDelivery> {
    const now = this.clock.now();
    const attemptedAt = now.toISOString();
    const item = WebhookDelivery.parse({
      ...input,
      attemptedAt,
      endpointKey: `${input.tenantId}#${input.endpointId}`,
      deliveryKey: `${attemptedAt}#${input.webhookId}#${input.attempt}`,
      expiresAt: Math.floor(now.getTime() / 1000) + DELIVERY_RETENTION_DAYS * 86_400,
    });
    await this.opts.doc.send(new PutCommand({ TableName: this.opts.tableName, Item: item }));
    return item;
  }

  /** The latest attempts to one endpoint of a tenant. */
  async list(tenantId: string, endpointId: string, limit = 20): Promise<WebhookDelivery[]> {
    const out = await this.opts.doc.send(
      new QueryCommand({
        TableName: this.opts.tableName,
        KeyConditionExpression: 'endpointKey = :k',
        ExpressionAttributeValues: { ':k': `${tenantId}#${endpointId}` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => WebhookDelivery.parse(i));
  }
}
