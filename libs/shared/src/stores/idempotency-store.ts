import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../core/clock.js';
import { isConditionalCheckFailed } from '../core/errors.js';
import { IdempotencyRecord } from '../schemas/tenant.js';

export interface IdempotencyStoreOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
  /** How long a key holds. @default 86_400 (24 h) */
  ttlSeconds?: number;
}

/** The outcome of a claim: ours (go ahead and create the runs), or someone's earlier record. */
export type IdempotencyClaim = { claimed: true; record: IdempotencyRecord } | { claimed: false; record: IdempotencyRecord };

/**
 * Idempotency keys of dispatch, one item per (tenantId, key), written before anything else with a
 * conditional put: the first writer wins and every later caller reads the winner's run ids.
 * Dynalite has no TTL, so an expired record is treated as absent on read and overwritten on claim.
 */
export class IdempotencyStore {
  private readonly opts: Required<IdempotencyStoreOptions>;

  constructor(options: IdempotencyStoreOptions) {
    this.opts = { clock: systemClock, ttlSeconds: 86_400, ...options };
  }

  /** Claims `key` for these run ids unless a live record holds it; then returns that record. */
  async claim(input: { tenantId: string; key: string; runIds: string[]; requestHash: string }): Promise<IdempotencyClaim> {
    const now = this.opts.clock.now();
    const nowSec = Math.floor(now.getTime() / 1000);
    const record = IdempotencyRecord.parse({
      ...input,
      createdAt: now.toISOString(),
      expiresAt: nowSec + this.opts.ttlSeconds,
    });
    try {
      await this.opts.doc.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: record,
          // Absent, or present but expired (no TTL in dynalite; DynamoDB's TTL deletes lazily too).
          ConditionExpression: 'attribute_not_exists(#key) OR expiresAt <= :now',
          ExpressionAttributeNames: { '#key': 'key' },
          ExpressionAttributeValues: { ':now': nowSec },
        }),
      );
      return { claimed: true, record };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.get(input.tenantId, input.key);
    // Deleted or expired between our put and this read: try once more.
    if (!existing) return this.claim(input);
    return { claimed: false, record: existing };
  }

  /** The live record for a key, or undefined (missing or expired). */
  async get(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const out = await this.opts.doc.send(
      new GetCommand({ TableName: this.opts.tableName, Key: { tenantId, key }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const record = IdempotencyRecord.parse(out.Item);
    return record.expiresAt > Math.floor(this.opts.clock.now().getTime() / 1000) ? record : undefined;
  }

  /** Gives a key back (the dispatch that claimed it was refused), only if it still holds these runs. */
  async release(record: Pick<IdempotencyRecord, 'tenantId' | 'key' | 'runIds'>): Promise<void> {
    try {
      await this.opts.doc.send(
        new DeleteCommand({
          TableName: this.opts.tableName,
          Key: { tenantId: record.tenantId, key: record.key },
          // Run ids are unique, so the first one identifies the claim (list equality is not portable).
          ConditionExpression: 'runIds[0] = :first',
          ExpressionAttributeValues: { ':first': record.runIds[0] },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
