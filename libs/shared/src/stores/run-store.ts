import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
import { combine, toUpdateInput, type UpdateParts } from '../aws/update-expression.js';
import type { ListRunsQuery } from './run-list-plan.js';
import { countRunsByStatus, listActiveRuns, listRuns, type ActiveRunsPage, type ActiveRunsQuery, type ListRunsPage, type RunTable } from './run-queries.js';
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
  type Continuation,
  type Tags,
  TerminalStatus,
} from '../schemas/run.js';
import { DEFAULT_TIERS, type TierName, type TierTable } from '../config/tiers.js';
import {
  cancelRequest,
  indexFields,
  isQueued,
  leaseExpired,
  leaseHeld,
  leaseRefusal,
  leaseRenewal,
  progress,
  promotionWrite,
  resendClaim,
  runExists,
  toQueued,
  toRunning,
  toTerminal,
  type TerminalFields,
  unleased,
  versionBump,
} from './run-transitions.js';
import { recordRunDispatched, recordRunEnded, recordRunLeased } from '../telemetry/run-metrics.js';

export type { ListRunsQuery } from './run-list-plan.js';
export type { ActiveRunsPage, ActiveRunsQuery, ListRunsPage } from './run-queries.js';

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
  /** The dispatch's trace context (W3C), so later work on the run (recovery, promote) joins its trace. */
  traceparent?: string;
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

  private readonly reads: RunTable;

  constructor(options: RunStoreOptions) {
    this.table = options.tableName;
    this.doc = options.doc;
    this.reads = { doc: options.doc, tableName: options.tableName };
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
      ...indexFields({ tenantId: input.tenantId, tier: input.tier, status: 'queued', activeSk: now }),
      tenantAgent: `${input.tenantId}#${input.agent}`,
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
    recordRunDispatched(run);
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
    return listRuns(this.reads, tenantId, query);
  }

  /** Runs of one tier in one active status, oldest first (queue time or lease expiry), from the sparse index. */
  async listActive(input: ActiveRunsQuery): Promise<ActiveRunsPage> {
    return listActiveRuns(this.reads, input);
  }

  /** Number of a tenant's runs in a status (Query with Select COUNT on the status index). */
  async countByStatus(tenantId: string, status: RunStatus): Promise<number> {
    return countRunsByStatus(this.reads, tenantId, status);
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
    const leaseExpiresAt = new Date(now.getTime() + input.leaseMs).toISOString();
    try {
      const run = await this.write(input, toRunning({ ...input, leaseToken, leaseExpiresAt, now }));
      recordRunLeased(run, now);
      return { run, leaseToken };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const current = await this.require(input.tenantId, input.runId);
      throw new LeaseRefusedError(leaseRefusal(current, input.tier, now), current, { cause: err });
    }
  }

  /** Extends the caller's lease; returns the run so the caller sees a cancel request. */
  async renewLease(input: { tenantId: string; runId: string; leaseToken: string; leaseMs: number }): Promise<RunRecord> {
    return this.fenced(input, leaseRenewal(new Date(this.clock.now().getTime() + input.leaseMs).toISOString()));
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
    const { tenantId, runId, leaseToken, ...fields } = input;
    const parts = progress(fields);
    if (parts.set.length === 0) {
      // Nothing to write, but the caller still learns whether it holds the lease.
      const current = await this.get(tenantId, runId);
      if (current?.status !== 'running' || current.leaseToken !== leaseToken) throw new LeaseLostError(runId, current);
      return current;
    }
    return this.fenced(input, parts);
  }

  /** running → a terminal status, by the lease holder. */
  async finish(input: FinishInput): Promise<RunRecord> {
    // Only a terminal status may be written here; anything else would corrupt the state machine.
    TerminalStatus.parse(input.status);
    // The run's tier decides its TTL; a lease that is already gone needs no write to find out.
    const current = await this.get(input.tenantId, input.runId);
    if (current?.status !== 'running' || current.leaseToken !== input.leaseToken) throw new LeaseLostError(input.runId, current);
    const spend = input.spend === undefined ? undefined : RunSpendView.parse(input.spend);
    const fields = { exitCode: input.exitCode, error: input.error, summary: input.summary, artifacts: input.artifacts, logTail: input.logTail, spend };
    const run = await this.fenced(input, this.toTerminal(current, input.status, fields));
    await this.ended(run);
    return run;
  }

  /**
   * running → queued by the lease holder (e.g. a worker draining on SIGTERM). With
   * `countAttempt: false` the attempt is given back, so a shutdown does not use up retries.
   */
  async release(input: { tenantId: string; runId: string; tier: TierName; leaseToken: string; countAttempt: boolean }): Promise<RunRecord> {
    return this.fenced(input, toQueued({ ...input, now: this.clock.now(), giveBackAttempt: !input.countAttempt }));
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
    const current = await this.require(input.tenantId, input.runId);
    const exhausted = current.attempt >= current.maxAttempts;
    const expired = leaseExpired({ observedLeaseToken: input.observedLeaseToken, now, attemptsLeft: !exhausted });
    const error: RunError = { code: 'lease_expired', message: `the worker stopped renewing its lease; gave up after ${current.attempt} attempts` };
    const next = exhausted ? this.toTerminal(current, 'failed', { error }) : toQueued({ ...input, now });
    const run = await this.transition(input, 'expire lease', combine(next, expired));
    if (exhausted) await this.ended(run);
    return run;
  }

  /** queued → cancelled, at once. */
  async cancelQueued(input: { tenantId: string; runId: string; reason?: string }): Promise<RunRecord> {
    const current = await this.require(input.tenantId, input.runId);
    const reason = input.reason ?? 'cancelled by request';
    const cancelled = this.toTerminal(current, 'cancelled', {
      cancelRequestedAt: this.nowIso(),
      cancelReason: reason,
      error: { code: 'cancelled', message: reason },
    });
    const run = await this.transition(input, 'cancel', combine(cancelled, isQueued()));
    await this.ended(run);
    return run;
  }

  /** Marks a running run for cancellation; its worker stops the agent and writes `cancelled`. */
  async requestCancel(input: { tenantId: string; runId: string; reason?: string }): Promise<RunRecord> {
    return this.transition(input, 'request cancel', cancelRequest(this.clock.now(), input.reason ?? 'cancelled by request'));
  }

  /**
   * A run whose message was dead-lettered: → failed (`dead_lettered`), unless a live worker
   * holds it (then its own terminal write settles it).
   */
  async failDeadLettered(input: { tenantId: string; runId: string; receiveCount?: number }): Promise<RunRecord> {
    const current = await this.require(input.tenantId, input.runId);
    const deliveries = input.receiveCount ? ` after ${input.receiveCount} deliveries` : '';
    const error: RunError = { code: 'dead_lettered', message: `no worker could settle this run's job${deliveries}` };
    const run = await this.transition(input, 'fail dead-lettered', combine(this.toTerminal(current, 'failed', { error }), unleased(this.clock.now())));
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
    return this.transition(input, 'set promotion', promotionWrite({ ...input, now: this.clock.now() }));
  }

  /**
   * Claims the re-send of a queued run that sat unleased too long: moves its place in the active
   * index (activeSk) to now, conditioned on the activeSk the caller listed, so of two dispatchers
   * only one sends, and the run is not re-sent again before another threshold has passed.
   */
  async claimResend(input: { tenantId: string; runId: string; observedActiveSk: string }): Promise<RunRecord> {
    return this.transition(input, 'claim resend', resendClaim(input.observedActiveSk, this.clock.now()));
  }

  // --- internals ---

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  /**
   * → a terminal status now, its TTL from the run's tier. The caller read the run before its
   * write: safe, since a run's tier never changes after create().
   */
  private toTerminal(run: RunRecord, status: TerminalStatus, fields: TerminalFields): UpdateParts {
    const { tenantId, runId, tier } = run;
    return toTerminal({ tenantId, runId, tier, status, now: this.clock.now(), retentionDays: this.tiers[tier].retentionDays, fields });
  }

  /** One conditional UpdateItem with `version` moved on; the run as written. */
  private async write(key: { tenantId: string; runId: string }, parts: UpdateParts): Promise<RunRecord> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { tenantId: key.tenantId, runId: key.runId },
        ...toUpdateInput(combine(parts, versionBump())),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return RunRecord.parse(out.Attributes);
  }

  /** An update conditioned on the caller's lease (status running, same token); else LeaseLostError. */
  private async fenced(input: { tenantId: string; runId: string; leaseToken: string }, parts: UpdateParts): Promise<RunRecord> {
    try {
      return await this.write(input, combine(parts, leaseHeld(input.leaseToken)));
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      throw new LeaseLostError(input.runId, await this.get(input.tenantId, input.runId), { cause: err });
    }
  }

  /** A conditional update that is not lease-fenced; a refused condition reports the current run. */
  private async transition(input: { tenantId: string; runId: string }, label: string, parts: UpdateParts): Promise<RunRecord> {
    try {
      return await this.write(input, combine(runExists(), parts));
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const current = await this.require(input.tenantId, input.runId);
      throw new TransitionRefusedError(label, current, { cause: err });
    }
  }

  /** Every terminal transition passes here, whoever wrote it: the one place runs are counted as finished. */
  private async ended(run: RunRecord): Promise<void> {
    recordRunEnded(run);
    if (!this.onRunEnded) return;
    try {
      await this.onRunEnded(run);
    } catch {
      // Counters are corrected by the dispatcher's reconciler; a failed decrement must not fail the run.
    }
  }
}
