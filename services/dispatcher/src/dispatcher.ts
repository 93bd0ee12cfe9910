import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  silentLogger,
  systemClock,
  TIER_NAMES,
  type Clock,
  type Logger,
  type ParameterStore,
  recordFleetReading,
  type Stores,
  type TierName,
  type TierTable,
} from '@outpost/shared';
import { ActiveCounterReconciler } from './active-counters.js';
import { readBacklog, type Backlog } from './backlog.js';
import { drainDeadLetters } from './dead-letters.js';
import { readFleetOverrides, resolveFleetBounds, type FleetOverride } from './fleet-overrides.js';
import { reapExpiredLeases, resendStaleQueued } from './recovery.js';
import type { Scaler } from './scaler.js';
import type { WebhookRelay } from './webhook-relay.js';
import { ScalingPolicy } from './scaling-policy.js';

export interface DispatcherOptions {
  sqs: SQSClient;
  stores: Stores;
  scaler: Scaler;
  /** Where ops overrides of min/max/runsPerWorker live (SSM, or .outpost/fleet.json). */
  params: ParameterStore;
  env: string;
  tiers: TierTable;
  /** @default 5000 */
  intervalMs?: number;
  /** @default 120000 */
  scaleInCooldownMs?: number;
  /** @default 120000 */
  staleQueuedMs?: number;
  /** Minimum time between two counter passes (they read every active run). @default 30000 */
  countersIntervalMs?: number;
  /** local mode: cap on max (and min) workers per tier. */
  localCap?: number;
  /** @default all tiers */
  tierNames?: readonly TierName[];
  clock?: Clock;
  logger?: Logger;
  /** Moves webhook events from the runs' outbox to the webhooks queue, every tick. */
  webhooks?: Pick<WebhookRelay, 'pass'>;
}

/** What one tick did for one tier (tests and logs). */
export interface TierTickReport {
  tier: TierName;
  backlog?: number;
  desired?: number;
  requeued?: number;
  failed?: number;
  resent?: number;
  deadLettered?: number;
}

/**
 * The dispatcher's control loop. Each tick, per tier: scale the pool to the backlog, recover runs
 * whose lease expired or whose message was lost, drain the DLQ; and now and then correct tenants'
 * active counters. Each part is caught on its own, so a failing one never stops the others or
 * the loop. When a dependency is down (SQS, DynamoDB, ECS, SSM) the part that needs it fails for
 * that tick, the failure is logged once (and its recovery once), and the fleet is left as it is:
 * no resize without a backlog reading, no recovery on a guess. Overrides that cannot be read fall back to the last ones read.
 * Every write is conditional, so two dispatchers (during a deploy) do no harm.
 */
export class Dispatcher {
  private readonly opts: DispatcherOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly policy: ScalingPolicy;
  private readonly counters: ActiveCounterReconciler;
  private readonly failing = new Map<string, string>();
  private readonly lastDecision = new Map<TierName, string>();
  private overrides: Partial<Record<TierName, FleetOverride>> = {};
  private invalidOverrides: Partial<Record<TierName, string>> = {};
  private lastCounterPass = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TierTickReport[]> | undefined;
  private stopped = true;

  constructor(options: DispatcherOptions) {
    this.opts = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.policy = new ScalingPolicy(options.scaleInCooldownMs ?? 120_000);
    this.counters = new ActiveCounterReconciler({
      stores: options.stores,
      marks: options.stores.usage.marks,
      logger: this.logger,
      now: () => this.clock.now(),
    });
  }

  /** Ticks now and then every interval, until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      // tick() guards each part; this catch only keeps the loop alive should that ever fail.
      await this.tick().catch((err: unknown) => this.logger.error({ err }, 'dispatcher tick failed'));
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.opts.intervalMs ?? 5000);
    };
    void loop();
  }

  /** Stops ticking and waits for a tick in progress. Does not stop the scaler (the caller owns it). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every tier. A tick already in progress is joined, never overlapped. */
  tick(): Promise<TierTickReport[]> {
    this.running ??= this.runTick().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runTick(): Promise<TierTickReport[]> {
    await this.guard('overrides', async () => {
      const read = await readFleetOverrides(this.opts.params, this.opts.env);
      this.overrides = read.overrides;
      this.invalidOverrides = read.invalid;
    });
    const reports: TierTickReport[] = [];
    for (const tier of this.opts.tierNames ?? TIER_NAMES) {
      const report: TierTickReport = { tier };
      let backlog: Backlog | undefined;
      await this.guard(`backlog:${tier}`, async () => {
        backlog = await readBacklog(this.opts.sqs, this.opts.stores.queues, tier);
      });
      // No backlog, no scaling: a pool is never resized on missing data.
      if (backlog) await this.guard(`scale:${tier}`, () => this.scale(tier, backlog!, report));
      await this.guard(`leases:${tier}`, async () => {
        const r = await reapExpiredLeases(this.recoveryDeps(), tier);
        report.requeued = r.requeued;
        report.failed = r.failed;
      });
      // Stale queued runs are re-sent only when the queue had nothing waiting at the start of the
      // tick: under a backlog their message is most likely still queued, and every duplicate would
      // inflate the backlog the scaler reads. Once workers catch up, a lost message is replaced.
      if (backlog && backlog.visible === 0) {
        await this.guard(`stale:${tier}`, async () => {
          report.resent = (await resendStaleQueued(this.recoveryDeps(), tier, this.opts.staleQueuedMs ?? 120_000)).resent;
        });
      }
      await this.guard(`dlq:${tier}`, async () => {
        report.deadLettered = (await drainDeadLetters(this.recoveryDeps(), tier)).failed;
      });
      reports.push(report);
    }
    if (this.opts.webhooks) await this.guard('webhooks', async () => void (await this.opts.webhooks!.pass()));
    const now = this.clock.now().getTime();
    if (now - this.lastCounterPass >= (this.opts.countersIntervalMs ?? 30_000)) {
      await this.guard('counters', async () => {
        await this.counters.pass();
        this.lastCounterPass = now;
      });
    }
    return reports;
  }

  private async scale(tier: TierName, backlog: Backlog, report: TierTickReport): Promise<void> {
    const bounds = resolveFleetBounds(this.opts.tiers, tier, this.overrides[tier], {
      ...(this.opts.localCap !== undefined ? { localCap: this.opts.localCap } : {}),
      ...(this.invalidOverrides[tier] ? { invalid: this.invalidOverrides[tier] } : {}),
    });
    const seen = await this.opts.scaler.observe(tier);
    const decision = this.policy.decide({
      tier,
      backlog: backlog.total,
      min: bounds.min,
      max: bounds.max,
      runsPerWorker: bounds.runsPerWorker,
      current: seen.desired,
      now: this.clock.now().getTime(),
    });
    await this.opts.scaler.apply(tier, decision.target, seen);
    report.backlog = backlog.total;
    report.desired = decision.target;
    recordFleetReading(tier, { backlog: backlog.total, workers: seen.running });
    const summary = `${decision.target}/${bounds.min}-${bounds.max}/${bounds.notes.join(',')}`;
    if (this.lastDecision.get(tier) !== summary) {
      this.lastDecision.set(tier, summary);
      this.logger.info(
        { tier, desired: decision.target, was: seen.desired, backlog: backlog.total, min: bounds.min, max: bounds.max, reason: decision.reason, notes: bounds.notes },
        'tier pool size set',
      );
    }
    await this.opts.stores.workers.putFleetState({
      tier,
      desired: decision.target,
      running: seen.running,
      pending: seen.pending,
      min: bounds.min,
      max: bounds.max,
      source: this.opts.scaler.source,
    });
  }

  private recoveryDeps() {
    return { sqs: this.opts.sqs, stores: this.opts.stores, tiers: this.opts.tiers, clock: this.clock, logger: this.logger };
  }

  /** Runs one part of a tick; logs a failure when it starts and when it ends, not every tick. */
  private async guard(part: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      if (this.failing.delete(part)) this.logger.info({ part }, 'dispatcher part recovered');
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (this.failing.get(part) !== message) {
        this.failing.set(part, message);
        this.logger.error({ part, err }, 'dispatcher part failed; retrying next tick');
      }
    }
  }
}

