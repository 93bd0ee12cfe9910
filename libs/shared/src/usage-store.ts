import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from './clock.js';
import { ActiveTenantMarks } from './active-tenant-marks.js';
import { isConditionalCheckFailed } from './errors.js';

/** Refusal at admission: which limit, the count now, and when it resets (null: when runs end). */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
  constructor(
    readonly limit: 'activeRuns' | 'runsPerDay',
    readonly max: number,
    readonly used: number,
    readonly resetsAt: string | null,
    options?: ErrorOptions,
  ) {
    super(
      limit === 'activeRuns'
        ? `active run limit reached: ${used} of ${max} runs are queued or running; dispatch again when one ends`
        : `daily run limit reached: ${used} of ${max} runs today; resets at ${resetsAt}`,
      options,
    );
  }
}

export interface UsageStoreOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
}

const ACTIVE = 'active';

/**
 * Per-tenant admission counters: active runs (incremented at dispatch, decremented when a run
 * ends, corrected by the dispatcher) and runs per UTC day. Each change is one conditional update,
 * so concurrent dispatches cannot overshoot a limit.
 */
export class UsageStore {
  private readonly opts: Required<UsageStoreOptions>;

  /** Tenants whose active counter the dispatcher checks. */
  readonly marks: ActiveTenantMarks;

  constructor(options: UsageStoreOptions) {
    this.opts = { clock: systemClock, ...options };
    this.marks = new ActiveTenantMarks({ tableName: options.tableName, doc: options.doc });
  }

  /**
   * Takes `n` active slots if the tenant stays within `max`; else QuotaExceededError. When the
   * counter leaves zero the tenant is marked for the dispatcher's counter correction.
   */
  async acquireActive(tenantId: string, n: number, max: number): Promise<number> {
    const count = await this.increment(tenantId, ACTIVE, n, max, undefined, (used) => new QuotaExceededError('activeRuns', max, used, null));
    if (count === n) await this.marks.mark(tenantId, this.opts.clock.now().toISOString());
    return count;
  }

  /** Gives back active slots (a run ended, or a dispatch failed after acquiring). Never goes below 0. */
  async releaseActive(tenantId: string, n = 1): Promise<void> {
    const key = { tenantId, counter: ACTIVE };
    // Either decrement (count >= n) or clamp to 0 (count < n), each conditional, so a concurrent
    // acquire between the two is never overwritten by a blind put. Retries only while both race.
    for (let i = 0; i < 5; i++) {
      try {
        await this.opts.doc.send(
          new UpdateCommand({
            TableName: this.opts.tableName,
            Key: key,
            UpdateExpression: 'SET #count = #count - :n',
            ConditionExpression: '#count >= :n',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':n': n },
          }),
        );
        return;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
      try {
        await this.opts.doc.send(
          new UpdateCommand({
            TableName: this.opts.tableName,
            Key: key,
            UpdateExpression: 'SET #count = :zero',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :n',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':n': n, ':zero': 0 },
          }),
        );
        return;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
  }

  /** Counts `n` runs against today's limit (max null: count only). */
  async acquireDaily(tenantId: string, n: number, max: number | null): Promise<number> {
    const now = this.opts.clock.now();
    const day = now.toISOString().slice(0, 10);
    const resets = new Date(`${day}T00:00:00.000Z`);
    resets.setUTCDate(resets.getUTCDate() + 1);
    const expiresAt = Math.floor(resets.getTime() / 1000) + 2 * 86_400;
    return this.increment(tenantId, `day#${day}`, n, max, expiresAt, (used) =>
      new QuotaExceededError('runsPerDay', max ?? 0, used, resets.toISOString()),
    );
  }

  /** Gives back daily slots taken by a dispatch that then failed. */
  async releaseDaily(tenantId: string, n: number): Promise<void> {
    const day = this.opts.clock.now().toISOString().slice(0, 10);
    await this.opts.doc.send(
      new UpdateCommand({
        TableName: this.opts.tableName,
        Key: { tenantId, counter: `day#${day}` },
        UpdateExpression: 'SET #count = #count - :n',
        ConditionExpression: '#count >= :n',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':n': n },
      }),
    ).catch((err: unknown) => {
      if (!isConditionalCheckFailed(err)) throw err;
    });
  }

  async getActive(tenantId: string): Promise<number> {
    return this.get(tenantId, ACTIVE);
  }

  async getDaily(tenantId: string): Promise<number> {
    return this.get(tenantId, `day#${this.opts.clock.now().toISOString().slice(0, 10)}`);
  }

  /** Overwrites the active counter (the dispatcher's correction from the run table). */
  async setActive(tenantId: string, count: number): Promise<void> {
    await this.opts.doc.send(new PutCommand({ TableName: this.opts.tableName, Item: { tenantId, counter: ACTIVE, count } }));
  }

  private async get(tenantId: string, counter: string): Promise<number> {
    const out = await this.opts.doc.send(
      new GetCommand({ TableName: this.opts.tableName, Key: { tenantId, counter }, ConsistentRead: true }),
    );
    return typeof out.Item?.count === 'number' ? out.Item.count : 0;
  }

  private async increment(
    tenantId: string,
    counter: string,
    n: number,
    max: number | null,
    expiresAt: number | undefined,
    refuse: (used: number) => Error,
  ): Promise<number> {
    const values: Record<string, unknown> = { ':n': n, ':zero': 0 };
    let condition: string | undefined;
    if (max !== null) {
      // count + n <= max, written as count <= max - n (no arithmetic in conditions).
      condition = 'attribute_not_exists(#count) OR #count <= :room';
      values[':room'] = max - n;
      if (max - n < 0) throw refuse(await this.get(tenantId, counter));
    }
    if (expiresAt !== undefined) values[':exp'] = expiresAt;
    try {
      const out = await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { tenantId, counter },
          UpdateExpression: `SET #count = if_not_exists(#count, :zero) + :n${expiresAt !== undefined ? ', expiresAt = :exp' : ''}`,
          ...(condition ? { ConditionExpression: condition } : {}),
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.count ?? n);
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw refuse(await this.get(tenantId, counter));
      throw err;
    }
  }
}
