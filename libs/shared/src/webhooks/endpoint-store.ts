import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../core/clock.js';
import { isConditionalCheckFailed } from '../core/errors.js';
import type { WebhookEventType } from './events.js';
import { newWebhookEndpointId, WebhookEndpoint, type WebhookEndpointKind } from './endpoint.js';

/** No such endpoint for this tenant: word for word the same for another tenant's endpoint. */
export class WebhookEndpointNotFoundError extends Error {
  override readonly name = 'WebhookEndpointNotFoundError';
  constructor(
    readonly endpointId: string,
    options?: ErrorOptions,
  ) {
    super(`webhook ${endpointId} not found; \`webhook list\` shows your webhooks`, options);
  }
}

/** An endpoint failing this long without one success is disabled. */
export const DISABLE_AFTER_MS = 24 * 3600_000;

export interface WebhookEndpointStoreOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
  /** @default DISABLE_AFTER_MS */
  disableAfterMs?: number;
}

/** A tenant's webhook endpoints (partition key tenantId, so one tenant never lists another's). */
export class WebhookEndpointStore {
  private readonly clock: Clock;
  private readonly disableAfterMs: number;

  constructor(private readonly opts: WebhookEndpointStoreOptions) {
    this.clock = opts.clock ?? systemClock;
    this.disableAfterMs = opts.disableAfterMs ?? DISABLE_AFTER_MS;
  }

  async create(input: { tenantId: string; url: string; kind: WebhookEndpointKind; events: readonly WebhookEventType[] }): Promise<WebhookEndpoint> {
    const endpoint = WebhookEndpoint.parse({
      ...input,
      events: [...new Set(input.events)],
      endpointId: newWebhookEndpointId(this.clock.now().getTime()),
      enabled: true,
      createdAt: this.clock.now().toISOString(),
    });
    await this.opts.doc.send(new PutCommand({ TableName: this.opts.tableName, Item: endpoint, ConditionExpression: 'attribute_not_exists(endpointId)' }));
    return endpoint;
  }

  async get(tenantId: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
    const out = await this.opts.doc.send(new GetCommand({ TableName: this.opts.tableName, Key: { tenantId, endpointId }, ConsistentRead: true }));
    return out.Item ? WebhookEndpoint.parse(out.Item) : undefined;
  }

  async require(tenantId: string, endpointId: string): Promise<WebhookEndpoint> {
    const endpoint = await this.get(tenantId, endpointId);
    if (!endpoint) throw new WebhookEndpointNotFoundError(endpointId);
    return endpoint;
  }

  /** Every endpoint of a tenant, oldest first (a tenant has a handful). */
  async list(tenantId: string): Promise<WebhookEndpoint[]> {
    const items: WebhookEndpoint[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.opts.doc.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': tenantId },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) items.push(WebhookEndpoint.parse(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async remove(tenantId: string, endpointId: string): Promise<void> {
    try {
      await this.opts.doc.send(
        new DeleteCommand({ TableName: this.opts.tableName, Key: { tenantId, endpointId }, ConditionExpression: 'attribute_exists(endpointId)' }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new WebhookEndpointNotFoundError(endpointId, { cause: err });
      throw err;
    }
  }

  /** Re-enables a disabled endpoint and forgets its failure streak. */
  enable(tenantId: string, endpointId: string): Promise<WebhookEndpoint> {
    return this.update(tenantId, endpointId, 'SET enabled = :true REMOVE disabledAt, disabledReason, failingSince', { ':true': true });
  }

  secretRotated(tenantId: string, endpointId: string): Promise<WebhookEndpoint> {
    return this.update(tenantId, endpointId, 'SET secretRotatedAt = :now', { ':now': this.clock.now().toISOString() });
  }

  recordSuccess(tenantId: string, endpointId: string): Promise<WebhookEndpoint> {
    return this.update(tenantId, endpointId, 'SET lastSuccessAt = :now REMOVE failingSince', { ':now': this.clock.now().toISOString() });
  }

  /**
   * Records a failed attempt; an endpoint failing for `disableAfterMs` since its last success is
   * disabled, with `reason` kept so the tenant can see why.
   */
  async recordFailure(tenantId: string, endpointId: string, reason: string): Promise<WebhookEndpoint> {
    const now = this.clock.now();
    const endpoint = await this.update(tenantId, endpointId, 'SET lastFailureAt = :now, failingSince = if_not_exists(failingSince, :now)', {
      ':now': now.toISOString(),
    });
    const since = endpoint.failingSince ? Date.parse(endpoint.failingSince) : now.getTime();
    if (!endpoint.enabled || now.getTime() - since < this.disableAfterMs) return endpoint;
    const hours = Math.round((now.getTime() - since) / 3600_000);
    return this.disable(tenantId, endpointId, `every delivery failed for ${hours} h; last error: ${reason}`);
  }

  /** Stops deliveries to an endpoint, keeping why; `webhook enable` undoes it. */
  disable(tenantId: string, endpointId: string, reason: string): Promise<WebhookEndpoint> {
    return this.update(tenantId, endpointId, 'SET enabled = :false, disabledAt = :now, disabledReason = :reason', {
      ':false': false,
      ':now': this.clock.now().toISOString(),
      ':reason': reason.slice(0, 500),
    });
  }

  private async update(tenantId: string, endpointId: string, expression: string, values: Record<string, unknown>): Promise<WebhookEndpoint> {
    try {
      const out = await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { tenantId, endpointId },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(endpointId)',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return WebhookEndpoint.parse(out.Attributes);
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new WebhookEndpointNotFoundError(endpointId, { cause: err });
      throw err;
    }
  }
}
