import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../core/clock.js';
import { ActiveTenantMarks } from './active-tenant-marks.js';
import { isConditionalCheckFailed } from '../core/errors.js';

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

/** Refusal at dispatch: the tenant's runs have spent its tier's monthly limit. */
export class SpendLimitReachedError extends Error {
  override readonly name = 'SpendLimitReachedError';
  constructor(
    readonly limitUsd: number,
    readonly spentUsd: number,
    /** The first of the next UTC month. */
    readonly resetsAt: string,
    options?: ErrorOptions,
  ) {
    super(`monthly spend limit reached: $${spentUsd.toFixed(2)} of $${limitUsd.toFixed(2)} spent this month; resets at ${resetsAt}`, options);
  }
}

/** A tenant's monthly spend as the worker's model gateway reads and adds to it. */
export interface MonthlySpend {
  /** Spent this month and the limit; limit null means none. */
  current(): Promise<{ spentUsd: number; limitUsd: number | null }>;
  add(costUsd: number): Promise<void>;
}

/** When this UTC month's spend counter stops counting: the first of the next month, 00:00Z. */
export function monthResetsAt(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
}

/** Spend is counted in integer micro-dollars: adding floats call by call would drift. */
const MICRO = 1_000_000;

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
 * so concurrent dispatches cannot overshoot a limit. Also each tenant's model spend per UTC month
 * (added by the workers' model gateways, checked by them and at dispatch).
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

  /** What the tenant's runs spent on models this UTC month, in USD. */
  async monthlySpend(tenantId: string): Promise<number> {
    return (await this.get(tenantId, spendCounter(this.opts.clock.now()))) / MICRO;
  }

  /**
   * Adds a model call's cost to this month's counter: one atomic ADD, so concurrent runs of a
   * tenant never lose each other's spend. Costs under half a micro-dollar round away.
   */
  async addSpend(tenantId: string, costUsd: number): Promise<void> {
    if (!Number.isFinite(costUsd) || costUsd < 0) throw new RangeError(`costUsd must be a finite number ≥ 0; got ${costUsd}`);
    const micro = Math.round(costUsd * MICRO);
    if (micro === 0) return;
    const now = this.opts.clock.now();
    // Kept about 13 months past the month's end, so a year of monthly totals can still be read.
    const expiresAt = Math.floor(Date.parse(monthResetsAt(now)) / 1000) + 400 * 86_400;
    await this.opts.doc.send(
      new UpdateCommand({
        TableName: this.opts.tableName,
        Key: { tenantId, counter: spendCounter(now) },
        UpdateExpression: 'SET expiresAt = :exp ADD #count :n',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':n': micro, ':exp': expiresAt },
      }),
    );
  }

  /** Throws SpendLimitReachedError once this month's spend has reached `limitUsd` (null: never); else returns the spend. */
  async checkMonthlySpend(tenantId: string, limitUsd: number | null): Promise<number> {
    const spentUsd = await this.monthlySpend(tenantId);
    if (limitUsd !== null && spentUsd >= limitUsd) throw new SpendLimitReachedError(limitUsd, spentUsd, monthResetsAt(this.opts.clock.now()));
    return spentUsd;
  }

  /** The tenant's monthly spend against `limitUsd`, as the model gateway takes it. */
  monthlySpendFor(tenantId: string, limitUsd: number | null): MonthlySpend {
    return {
      current: async () => ({ spentUsd: await this.monthlySpend(tenantId), limitUsd }),
      add: (costUsd) => this.addSpend(tenantId, costUsd),
    };
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

/** One counter item per tenant and UTC month, keyed like the day counters. */
function spendCounter(now: Date): string {
  return `spend#${now.toISOString().slice(0, 7)}`;
}
