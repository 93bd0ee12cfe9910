import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../core/clock.js';
import {
  isConditionalCheckFailed,
  LeaseLostError,
  LeaseRefusedError,
  RunExistsError,
  RunNotFoundError,
  TransitionRefusedError,
} from '../core/errors.js';
import { newToken } from '../core/ids.js';
import { decodeCursor, encodeCursor, pick, planRunList, type ListRunsQuery } from './run-list-plan.js';

export type { ListRunsQuery } from './run-list-plan.js';
import { RUN_INDEX } from '../aws/resources.js';
import { chainKeys, type ChainLink } from './run-chains.js';
import {
  RunRecord,
  type AgentName,
  type ArtifactRef,
  type Promotion,
  type RunError,
  type RunStatus,
  type RunSummary,
  RunSpendView,
  Continuation,
  type Tags,
  TerminalStatus,
} from '../schemas/run.js';
import { DEFAULT_TIERS, type TierName, type TierTable } from '../config/tiers.js';
import { terminalEvent } from '../webhooks/events.js';
import { withOutboxMark } from '../webhooks/outbox.js';

export interface NewRun {
  tenantId: string;
  runId: string;
  tier: TierName;
  agent: AgentName;
  model?: string;
  repo: string;
  ref?: string;
  task?: string;
  taskKey?: string;
  taskBytes: number;
  tags?: Tags;
  timeoutSeconds: number;
  /** The run's model budget in USD; dispatch always resolves one (the tier's default at least). */
  maxCostUsd?: number;
  maxAttempts: number;
  idempotencyKey?: string;
  /** A follow-up's place in its chain (chainLink() computes it from the parent). */
  chain?: ChainLink;
}

export interface ListRunsPage {
  runs: RunRecord[];
  nextCursor?: string;
}

export interface FinishInput {
  tenantId: string;
  runId: string;
  leaseToken: string;
  status: TerminalStatus;
  exitCode?: number | null;
  error?: RunError;
  summary?: RunSummary;
  artifacts?: ArtifactRef[];
  logTail?: string;
  /** The run's final model spend. */
  spend?: RunSpendView;
}

/** Called after a run leaves the active set, so per-tenant active counters can follow. */
export type RunEndedHook = (run: RunRecord) => Promise<void> | void;

export interface RunStoreOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
  /** Each tier's retention sets the TTL (expiresAt) of its runs when they end. @default DEFAULT_TIERS */
  tiers?: TierTable;
  /** Best-effort hook after a run reaches a terminal status from queued/running. */
  onRunEnded?: RunEndedHook;
}

type Values = Record<string, unknown>;

/**
 * Every DynamoDB access to runs. Each status transition is one conditional UpdateItem; every
 * write a worker makes is conditioned on its lease token (fencing). No Scan. Every terminal
 * transition sets the TTL from the run's own tier: no caller passes a retention.
 */
export class RunStore {
  private readonly table: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly clock: Clock;
  private readonly tiers: TierTable;
  private readonly onRunEnded: RunEndedHook | undefined;

  constructor(options: RunStoreOptions) {
    this.table = options.tableName;
    this.doc = options.doc;
    this.clock = options.clock ?? systemClock;
    this.tiers = options.tiers ?? DEFAULT_TIERS;
    this.onRunEnded = options.onRunEnded;
  }

  /** Writes a new queued run; refuses an id that exists. */
  async create(input: NewRun): Promise<RunRecord> {
    const now = this.nowIso();
    const tagPairs = input.tags ? Object.entries(input.tags).map(([k, v]) => `${k}=${v}`) : undefined;
    const { chain, ...fields } = input;
    const run = RunRecord.parse({
      ...fields,
      ...(chain ? { ...chain, ...chainKeys(input.tenantId, chain) } : {}),
      ...(tagPairs && tagPairs.length > 0 ? { tagPairs } : {}),
      status: 'queued',
      attempt: 0,
      createdAt: now,
      queuedAt: now,
      tenantStatus: `${input.tenantId}#queued`,
      tenantAgent: `${input.tenantId}#${input.agent}`,
      activePk: activePk('queued', input.tier),
      activeSk: now,
      version: 0,
    });
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: run,
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new RunExistsError(input.runId, { cause: err });
      throw err;
    }
    return run;
  }

  /** The run as it is now (consistent read), or undefined. */
  async get(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { tenantId, runId }, ConsistentRead: true }),
    );
    return out.Item ? RunRecord.parse(out.Item) : undefined;
  }

  /** Like get, but a missing run is a RunNotFoundError. */
  async require(tenantId: string, runId: string): Promise<RunRecord> {
    const run = await this.get(tenantId, runId);
    if (!run) throw new RunNotFoundError(tenantId, runId);
    return run;
  }

  /** One page of a tenant's runs, newest first, from a Query on the table or an index. */
  async list(tenantId: string, query: ListRunsQuery = {}): Promise<ListRunsPage> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    const plan = planRunList(tenantId, query);
    const { index, names, values, filters } = plan;
    let startKey = query.cursor ? decodeCursor(query.cursor, tenantId, plan.source) : undefined;
    const runs: RunRecord[] = [];
    // With a filter DynamoDB may return short pages; keep reading until the page is full.
    for (;;) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          ...(index ? { IndexName: index } : { ConsistentRead: true }),
          KeyConditionExpression: plan.keyCondition,
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          // One more than needed: DynamoDB returns a LastEvaluatedKey whenever it stops at Limit, so
          // reading exactly `limit` would hand out a cursor to an empty last page.
          Limit: filters.length ? Math.max(limit * 2, 25) : limit - runs.length + 1,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const items = out.Items ?? [];
      let used = 0;
      while (used < items.length && runs.length < limit) runs.push(RunRecord.parse(items[used++]));
      const last = runs[runs.length - 1];
      if (runs.length >= limit && last) {
        const more = used < items.length || out.LastEvaluatedKey !== undefined;
        return { runs, ...(more ? { nextCursor: encodeCursor(tenantId, plan.source, pick(last, plan.keyAttrs)) } : {}) };
      }
      if (!out.LastEvaluatedKey) return { runs };
      startKey = out.LastEvaluatedKey;
    }
  }

  /**
   * Takes the run for `workerId`: a queued run, or a running one whose lease has expired (its
   * worker died). Each lease counts one attempt. Returns the run and the new lease token.
   */
  async acquireLease(input: {
    tenantId: string;
    runId: string;
    tier: TierName;
    workerId: string;
    leaseMs: number;
  }): Promise<{ run: RunRecord; leaseToken: string }> {
    const now = this.clock.now();
    const leaseToken = newToken();
    const expires = new Date(now.getTime() + input.leaseMs).toISOString();
    // Webhook outbox: the start is marked in the same write (subscribers of run.started only get it).
    const started = withOutboxMark(
      'SET #status = :running, #tenantStatus = :ts, workerId = :worker, leaseToken = :token, leaseExpiresAt = :expires, ' +
        'startedAt = :now, attempt = attempt + :one, activePk = :activePk, activeSk = :expires, version = version + :one',
      {},
      { runId: input.runId, event: 'run.started', at: now.toISOString() },
    );
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { tenantId: input.tenantId, runId: input.runId },
          UpdateExpression: started.update,
          ConditionExpression:
            'attribute_exists(runId) AND tier = :tier AND attempt < maxAttempts AND attribute_not_exists(cancelRequestedAt) AND ' +
            '(#status = :queued OR (#status = :running AND leaseExpiresAt < :nowIso))',
          ExpressionAttributeNames: { '#status': 'status', '#tenantStatus': 'tenantStatus' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':queued': 'queued',
            ':ts': `${input.tenantId}#running`,
            ':worker': input.workerId,
            ':token': leaseToken,
            ':expires': expires,
            ':now': now.toISOString(),
            ':nowIso': now.toISOString(),
            ':one': 1,
            ':tier': input.tier,
            ':activePk': activePk('running', input.tier),
            ...started.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { run: RunRecord.parse(out.Attributes), leaseToken };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const current = await this.require(input.tenantId, input.runId);
      throw new LeaseRefusedError(leaseRefusal(current, input.tier, now), current, { cause: err });
    }
  }

  /** Extends the caller's lease; returns the run so the caller sees a cancel request. */
  async renewLease(input: { tenantId: string; runId: string; leaseToken: string; leaseMs: number }): Promise<RunRecord> {
    const expires = new Date(this.clock.now().getTime() + input.leaseMs).toISOString();
    return this.fenced(input, 'SET leaseExpiresAt = :expires, activeSk = :expires', { ':expires': expires });
  }

  /** Writes progress fields of a leased run (log tail, chunk count, base commit); no status change. */
  async recordProgress(input: {
    tenantId: string;
    runId: string;
    leaseToken: string;
    logTail?: string;
    logChunks?: number;
    baseCommit?: string;
    /** Spend so far, so get_run shows it while the run lasts. */
    spend?: RunSpendView;
    /** A follow-up's way of carrying its parent's conversation. */
    continuation?: Continuation;
  }): Promise<RunRecord> {
    const sets: string[] = [];
    const values: Values = {};
    if (input.spend !== undefined) (sets.push('spend = :spend'), (values[':spend'] = RunSpendView.parse(input.spend)));
    if (input.logTail !== undefined) (sets.push('logTail = :logTail'), (values[':logTail'] = input.logTail));
    if (input.logChunks !== undefined) (sets.push('logChunks = :logChunks'), (values[':logChunks'] = input.logChunks));
    if (input.baseCommit !== undefined) (sets.push('baseCommit = :baseCommit'), (values[':baseCommit'] = input.baseCommit));
    if (input.continuation !== undefined) (sets.push('continuation = :cont'), (values[':cont'] = Continuation.parse(input.continuation)));
    if (sets.length === 0) {
      // Nothing to write, but the caller still learns whether it holds the lease.
      const current = await this.get(input.tenantId, input.runId);
      if (current?.status !== 'running' || current.leaseToken !== input.leaseToken) throw new LeaseLostError(input.runId, current);
      return current;
    }
    return this.fenced(input, `SET ${sets.join(', ')}`, values);
  }

  /** running → a terminal status, by the lease holder. */
  async finish(input: FinishInput): Promise<RunRecord> {
    // Only a terminal status may be written here; anything else would corrupt the state machine.
    TerminalStatus.parse(input.status);
    // The run's tier decides its TTL; a lease that is already gone needs no write to find out.
    const current = await this.get(input.tenantId, input.runId);
    if (current?.status !== 'running' || current.leaseToken !== input.leaseToken) throw new LeaseLostError(input.runId, current);
    const now = this.clock.now();
    const values: Values = {
      ':status': input.status,
      ':ts': `${input.tenantId}#${input.status}`,
      ':finishedAt': now.toISOString(),
      ':expiresAt': this.expiresAt(current.tier, now),
    };
    const sets = ['#status = :status', '#tenantStatus = :ts', 'finishedAt = :finishedAt', 'expiresAt = :expiresAt'];
    const optional: [string, unknown][] = [
      ['exitCode', input.exitCode],
      ['error', input.error],
      ['summary', input.summary],
      ['artifacts', input.artifacts],
      ['logTail', input.logTail],
      ['spend', input.spend === undefined ? undefined : RunSpendView.parse(input.spend)],
    ];
    const names: Record<string, string> = { '#status': 'status', '#tenantStatus': 'tenantStatus' };
    for (const [name, value] of optional) {
      if (value === undefined) continue;
      // Placeholders for every field: `error` (and others) are DynamoDB reserved words.
      sets.push(`#${name} = :${name}`);
      names[`#${name}`] = name;
      values[`:${name}`] = value;
    }
    const marked = this.marked(input.runId, input.status, now, `SET ${sets.join(', ')} REMOVE leaseToken, leaseExpiresAt, activePk, activeSk`, values);
    const run = await this.fenced(input, marked.update, marked.values, names);
    await this.ended(run);
    return run;
  }

  /**
   * running → queued by the lease holder (e.g. a worker draining on SIGTERM). With
   * `countAttempt: false` the attempt is given back, so a shutdown does not use up retries.
   */
  async release(input: { tenantId: string; runId: string; tier: TierName; leaseToken: string; countAttempt: boolean }): Promise<RunRecord> {
    const now = this.nowIso();
    return this.fenced(
      input,
      'SET #status = :queued, #tenantStatus = :ts, queuedAt = :now, activePk = :activePk, activeSk = :now, attempt = attempt - :giveBack ' +
        'REMOVE leaseToken, leaseExpiresAt, workerId',
      {
        ':queued': 'queued',
        ':ts': `${input.tenantId}#queued`,
        ':now': now,
        ':activePk': activePk('queued', input.tier),
        ':giveBack': input.countAttempt ? 0 : 1,
      },
      { '#status': 'status', '#tenantStatus': 'tenantStatus' },
    );
  }

  /**
   * Recovery of a run whose lease expired (its worker died): back to queued while attempts
   * remain, else failed with `lease_expired`. Conditioned on the lease token the caller saw, so
   * two reapers (or a reaper and a worker taking over) cannot both act on one expiry.
   */
  async expireLease(input: {
    tenantId: string;
    runId: string;
    tier: TierName;
    observedLeaseToken: string;
  }): Promise<RunRecord> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const current = await this.require(input.tenantId, input.runId);
    const exhausted = current.attempt >= current.maxAttempts;
    const names = { '#status': 'status', '#tenantStatus': 'tenantStatus' };
    const condition =
      '#status = :running AND leaseToken = :observed AND leaseExpiresAt < :now AND ' +
      (exhausted ? 'attempt >= maxAttempts' : 'attempt < maxAttempts');
    const values: Values = { ':running': 'running', ':observed': input.observedLeaseToken, ':now': nowIso };
    let update: string;
    if (exhausted) {
      update =
        'SET #status = :failed, #tenantStatus = :ts, finishedAt = :now, expiresAt = :expiresAt, #error = :error ' +
        'REMOVE leaseToken, leaseExpiresAt, activePk, activeSk';
      Object.assign(values, {
        ':failed': 'failed',
        ':ts': `${input.tenantId}#failed`,
        ':expiresAt': this.expiresAt(current.tier, now),
        ':error': { code: 'lease_expired', message: `the worker stopped renewing its lease; gave up after ${current.attempt} attempts` },
      });
      Object.assign(names, { '#error': 'error' });
    } else {
      update =
        'SET #status = :queued, #tenantStatus = :ts, queuedAt = :now, activePk = :activePk, activeSk = :now ' +
        'REMOVE leaseToken, leaseExpiresAt, workerId';
      Object.assign(values, { ':queued': 'queued', ':ts': `${input.tenantId}#queued`, ':activePk': activePk('queued', input.tier) });
    }
    const marked = exhausted ? this.marked(input.runId, 'failed', now, update, values) : { update, values };
    const run = await this.transition(input, 'expire lease', marked.update, condition, marked.values, names);
    if (exhausted) await this.ended(run);
    return run;
  }

  /** queued → cancelled, at once. */
  async cancelQueued(input: { tenantId: string; runId: string; reason?: string }): Promise<RunRecord> {
    const current = await this.require(input.tenantId, input.runId);
    const now = this.clock.now();
    const marked = this.marked(
      input.runId,
      'cancelled',
      now,
      'SET #status = :cancelled, #tenantStatus = :ts, finishedAt = :now, cancelRequestedAt = :now, cancelReason = :reason, #error = :error, ' +
        'expiresAt = :expiresAt REMOVE activePk, activeSk',
      {
        ':cancelled': 'cancelled',
        ':queued': 'queued',
        ':ts': `${input.tenantId}#cancelled`,
        ':now': now.toISOString(),
        ':reason': input.reason ?? 'cancelled by request',
        ':error': { code: 'cancelled', message: input.reason ?? 'cancelled by request' },
        ':expiresAt': this.expiresAt(current.tier, now),
      },
    );
    const run = await this.transition(input, 'cancel', marked.update, '#status = :queued', marked.values, {
      '#status': 'status',
      '#tenantStatus': 'tenantStatus',
      '#error': 'error',
    });
    await this.ended(run);
    return run;
  }

  /** Marks a running run for cancellation; its worker stops the agent and writes `cancelled`. */
  async requestCancel(input: { tenantId: string; runId: string; reason?: string }): Promise<RunRecord> {
    return this.transition(
      input,
      'request cancel',
      'SET cancelRequestedAt = if_not_exists(cancelRequestedAt, :now), cancelReason = if_not_exists(cancelReason, :reason)',
      '#status = :running',
      { ':running': 'running', ':now': this.nowIso(), ':reason': input.reason ?? 'cancelled by request' },
      { '#status': 'status' },
    );
  }

  /**
   * A run whose message was dead-lettered: → failed (`dead_lettered`), unless a live worker
   * holds it (then its own terminal write settles it).
   */
  async failDeadLettered(input: { tenantId: string; runId: string; receiveCount?: number }): Promise<RunRecord> {
    const current = await this.require(input.tenantId, input.runId);
    const now = this.clock.now();
    const marked = this.marked(
      input.runId,
      'failed',
      now,
      'SET #status = :failed, #tenantStatus = :ts, finishedAt = :now, expiresAt = :expiresAt, #error = :error ' +
        'REMOVE leaseToken, leaseExpiresAt, activePk, activeSk',
      {
        ':failed': 'failed',
        ':queued': 'queued',
        ':running': 'running',
        ':ts': `${input.tenantId}#failed`,
        ':now': now.toISOString(),
        ':expiresAt': this.expiresAt(current.tier, now),
        ':error': {
          code: 'dead_lettered',
          message: `no worker could settle this run's job${input.receiveCount ? ` after ${input.receiveCount} deliveries` : ''}`,
        },
      },
    );
    const run = await this.transition(
      input,
      'fail dead-lettered',
      marked.update,
      '#status = :queued OR (#status = :running AND leaseExpiresAt < :now)',
      marked.values,
      { '#status': 'status', '#tenantStatus': 'tenantStatus', '#error': 'error' },
    );
    await this.ended(run);
    return run;
  }

  /** Records a promotion request or result; `expectStatus` guards against overwriting a newer one. */
  async setPromotion(input: {
    tenantId: string;
    runId: string;
    promotion: Promotion;
    /** Write only if the current promotion is absent (undefined) or has this status. */
    expectStatus?: Promotion['status'] | 'absent';
  }): Promise<RunRecord> {
    let condition = '#status = :succeeded';
    const values: Values = { ':succeeded': 'succeeded', ':promotion': input.promotion };
    if (input.expectStatus === 'absent') condition += ' AND attribute_not_exists(promotion)';
    else if (input.expectStatus) {
      condition += ' AND promotion.#pstatus = :expect';
      values[':expect'] = input.expectStatus;
    }
    // A promotion that landed is a webhook event (run.promoted), marked by the same write.
    const marked =
      input.promotion.status === 'succeeded'
        ? withOutboxMark('SET promotion = :promotion', values, { runId: input.runId, event: 'run.promoted', at: this.nowIso() })
        : { update: 'SET promotion = :promotion', values };
    return this.transition(input, 'set promotion', marked.update, condition, marked.values, {
      '#status': 'status',
      ...(input.expectStatus && input.expectStatus !== 'absent' ? { '#pstatus': 'status' } : {}),
    });
  }

  /** Runs of one tier in one active status, oldest first (queue time or lease expiry), from the sparse index. */
  async listActive(input: {
    tier: TierName;
    status: 'queued' | 'running';
    /** Only entries whose sort time is before this. */
    before?: Date;
    limit?: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ runs: RunRecord[]; lastKey?: Record<string, unknown> }> {
    const values: Values = { ':pk': activePk(input.status, input.tier) };
    let cond = 'activePk = :pk';
    if (input.before) {
      cond += ' AND activeSk < :before';
      values[':before'] = input.before.toISOString();
    }
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUN_INDEX.active,
        KeyConditionExpression: cond,
        ExpressionAttributeValues: values,
        ScanIndexForward: true,
        Limit: input.limit ?? 100,
        ...(input.startKey ? { ExclusiveStartKey: input.startKey } : {}),
      }),
    );
    return {
      runs: (out.Items ?? []).map((i) => RunRecord.parse(i)),
      ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey } : {}),
    };
  }

  /**
   * Claims the re-send of a queued run that sat unleased too long: moves its place in the active
   * index (activeSk) to now, conditioned on the activeSk the caller listed, so of two dispatchers
   * only one sends, and the run is not re-sent again before another threshold has passed.
   */
  async claimResend(input: { tenantId: string; runId: string; observedActiveSk: string }): Promise<RunRecord> {
    return this.transition(
      input,
      'claim resend',
      'SET activeSk = :now, resentAt = :now',
      '#status = :queued AND activeSk = :observed',
      { ':queued': 'queued', ':observed': input.observedActiveSk, ':now': this.nowIso() },
      { '#status': 'status' },
    );
  }

  /** Number of a tenant's runs in a status (Query with Select COUNT on the status index). */
  async countByStatus(tenantId: string, status: RunStatus): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: RUN_INDEX.byStatus,
          KeyConditionExpression: 'tenantStatus = :ts',
          ExpressionAttributeValues: { ':ts': `${tenantId}#${status}` },
          Select: 'COUNT',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      total += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return total;
  }

  // --- internals ---

  /** A terminal update with its webhook event marked in the same UpdateItem (no transaction needed). */
  private marked(runId: string, status: TerminalStatus, now: Date, update: string, values: Values) {
    return withOutboxMark(update, values, { runId, event: terminalEvent(status), at: now.toISOString() });
  }

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  /**
   * The TTL (epoch seconds) of a run of `tier` that ends at `now`. Callers read the tier from the
   * run item before their write: safe, since a run's tier never changes after create().
   */
  private expiresAt(tier: TierName, now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.tiers[tier].retentionDays * 86_400;
  }

  /** An update conditioned on the caller's lease (status running, same token); else LeaseLostError. */
  private async fenced(
    input: { tenantId: string; runId: string; leaseToken: string },
    update: string,
    values: Values,
    names: Record<string, string> = {},
  ): Promise<RunRecord> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { tenantId: input.tenantId, runId: input.runId },
          UpdateExpression: `${update.replace(/^SET /, 'SET version = version + :one, ')}`,
          ConditionExpression: '#fStatus = :fRunning AND leaseToken = :fToken',
          ExpressionAttributeNames: { ...names, '#fStatus': 'status' },
          ExpressionAttributeValues: { ...values, ':fRunning': 'running', ':fToken': input.leaseToken, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return RunRecord.parse(out.Attributes);
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      throw new LeaseLostError(input.runId, await this.get(input.tenantId, input.runId), { cause: err });
    }
  }

  /** A conditional update that is not lease-fenced; a refused condition reports the current run. */
  private async transition(
    input: { tenantId: string; runId: string },
    label: string,
    update: string,
    condition: string,
    values: Values,
    names: Record<string, string>,
  ): Promise<RunRecord> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { tenantId: input.tenantId, runId: input.runId },
          UpdateExpression: update.replace(/^SET /, 'SET version = version + :one, '),
          ConditionExpression: `attribute_exists(runId) AND (${condition})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return RunRecord.parse(out.Attributes);
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const current = await this.require(input.tenantId, input.runId);
      throw new TransitionRefusedError(label, current, { cause: err });
    }
  }

  private async ended(run: RunRecord): Promise<void> {
    if (!this.onRunEnded) return;
    try {
      await this.onRunEnded(run);
    } catch {
      // Counters are corrected by the dispatcher's reconciler; a failed decrement must not fail the run.
    }
  }
}

function activePk(status: 'queued' | 'running', tier: TierName): string {
  return `${status}#${tier}`;
}

function leaseRefusal(run: RunRecord, tier: TierName, now: Date): LeaseRefusedError['reason'] {
  if (run.tier !== tier) return 'wrong_tier';
  if (run.status !== 'queued' && run.status !== 'running') return 'terminal';
  if (run.cancelRequestedAt) return 'cancel_requested';
  if (run.status === 'running' && run.leaseExpiresAt && run.leaseExpiresAt >= now.toISOString()) return 'leased';
  if (run.attempt >= run.maxAttempts) return 'attempts_exhausted';
  return 'leased';
}
