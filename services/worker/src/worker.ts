import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import type { Message } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import {
  newWorkerId,
  openStores,
  PROVIDERS,
  TRACEPARENT_ATTRIBUTE,
  silentLogger,
  VENDOR_BASE_URLS,
  type AgentName,
  type AwsClients,
  type Logger,
  type ParameterStore,
  type Provider,
  type RunRecord,
  type Stores,
  type WorkerState,
} from '@outpost/shared';
import { probeAgents } from './availability.js';
import { ModelGateway } from './gateway/gateway.js';
import type { WorkerConfig } from './config.js';
import { handleJob, type JobDeps, type JobOutcome } from './handle-job.js';
import { promoteHandler } from './promote/index.js';
import { slotIdentities, type AgentIdentity } from './run-as.js';
import { RunExecution, type RunOutcome } from './run-execution.js';
import { checkRootAccess } from './workspace.js';
import { noTaskProtection, type TaskProtection } from './task-protection.js';

export interface WorkerOptions {
  config: WorkerConfig;
  clients: AwsClients;
  params: ParameterStore;
  /** @default openStores(config, clients) */
  stores?: Stores;
  /** @default silentLogger */
  logger?: Logger;
  /** @default noTaskProtection */
  taskProtection?: TaskProtection;
  /** Handlers for job kinds other than `run` (e.g. `promote`). */
  handlers?: JobDeps['handlers'];
}

/** Re-assert scale-in protection this often while busy (it expires after 60 minutes). */
const PROTECTION_REFRESH_MS = 10 * 60_000;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * One worker process: consumes its tier's queue, runs up to `concurrency` runs at once, keeps a
 * heartbeat item, and drains on stop (running agents get the drain grace, then their runs go back
 * to the queue).
 */
export class Worker {
  readonly workerId: string;
  private readonly logger: Logger;
  private readonly stores: Stores;
  private readonly protection: TaskProtection;
  /** Agent identity per run slot (undefined entries: the worker is not root). */
  private readonly identities: (AgentIdentity | undefined)[];
  private readonly startedAt = new Date().toISOString();
  private readonly version = packageVersion();
  private readonly active = new Map<string, RunExecution>();
  /** Message handlers still running, awaited on drain. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private consumers: Consumer[] = [];
  private agents: AgentName[] = [];
  private agentVersions: Partial<Record<AgentName, string>> = {};
  private state: WorkerState = 'idle';
  private hbTimer: NodeJS.Timeout | undefined;
  private hbTicking: Promise<void> | undefined;
  private hbAgain = false;
  private protectedSince: number | undefined;
  private stopping: Promise<void> | undefined;
  private gateway: ModelGateway | undefined;

  constructor(private readonly o: WorkerOptions) {
    this.workerId = o.config.workerId ?? newWorkerId();
    this.logger = (o.logger ?? silentLogger).child({ workerId: this.workerId, tier: o.config.tier });
    this.stores = o.stores ?? openStores(o.config, o.clients);
    this.protection = o.taskProtection ?? noTaskProtection;
    this.identities = slotIdentities(o.config.agentUser, o.config.agentUidBase, o.config.concurrency);
  }

  /** Runs in progress (run ids). */
  get currentRuns(): string[] {
    return [...this.active.keys()];
  }

  async start(): Promise<void> {
    const { config } = this.o;
    await mkdir(config.root, { recursive: true, mode: 0o711 });
    for (const id of new Set(this.identities)) await checkRootAccess(config.root, id, id ? `uid ${id.uid}` : config.agentUser);
    this.agentVersions = await probeAgents({ bins: config.agentBins, path: config.agentPath, home: os.tmpdir(), identity: this.identities[0] });
    this.agents = Object.keys(this.agentVersions) as AgentName[];
    const queueUrl = await this.stores.queues.jobsUrl(config.tier);
    const deps: JobDeps = {
      runs: this.stores.runs,
      tier: config.tier,
      workerId: this.workerId,
      leaseMs: config.leaseMs,
      sqs: this.o.clients.sqs,
      queueUrl,
      logger: this.logger,
      execute: (run, token) => this.execute(run, token, 0), // replaced per slot below
      accepting: () => !this.stopping,
      handlers: { promote: promoteHandler({ config, s3: this.o.clients.s3, bucket: this.stores.names.bucket, params: this.o.params }), ...this.o.handlers },
    };
    const upstreams = Object.fromEntries(PROVIDERS.map((p) => [p, config.providerEndpoints[p] ?? VENDOR_BASE_URLS[p]])) as Record<Provider, string>;
    this.gateway = await ModelGateway.start({ upstreams, prices: config.prices, logger: this.logger });
    await this.heartbeatTick();
    this.hbTimer = setInterval(() => void this.heartbeatTick(), config.heartbeatMs);
    // One consumer per run slot, each receiving one job at a time: sqs-consumer finishes a whole
    // received batch before it polls again, so a single consumer with batchSize = concurrency
    // would leave slots idle behind a long run. Slot i runs its agents as identity i.
    this.consumers = this.identities.map((_, slot) => this.createConsumer({ ...deps, execute: (run, token) => this.execute(run, token, slot) }));
    for (const c of this.consumers) c.start();
    this.logger.info({ concurrency: config.concurrency, agents: this.agentVersions, agentUids: this.identities.map((i) => i?.uid) }, 'worker started');
  }

  private createConsumer(deps: JobDeps): Consumer {
    const { config } = this.o;
    const consumer = Consumer.create({
      queueUrl: deps.queueUrl,
      sqs: this.o.clients.sqs,
      batchSize: 1,
      // The dispatch's trace context (libs/shared/src/telemetry/job-trace.ts).
      messageAttributeNames: [TRACEPARENT_ATTRIBUTE],
      waitTimeSeconds: config.pollSeconds,
      visibilityTimeout: config.visibilitySeconds,
      heartbeatInterval: Math.max(1, Math.floor(config.visibilitySeconds / 3)),
      handleMessage: async (message: Message) => {
        const p = handleJob(deps, message);
        this.inFlight.add(p);
        try {
          const outcome: JobOutcome = await p;
          this.logger.debug({ messageId: message.MessageId, ...outcome }, 'job handled');
          return outcome.settle ? message : undefined;
        } finally {
          this.inFlight.delete(p);
        }
      },
    });
    consumer.on('error', (err) => {
      // A heartbeat that fires just after the delete reports MessageNotInflight: harmless.
      if (/not ?in ?flight|ReceiptHandleIsInvalid/i.test(`${err.name} ${err.message}`)) return;
      this.logger.warn({ err }, 'sqs consumer error');
    });
    consumer.on('processing_error', (err, message) => this.logger.error({ err, messageId: message?.MessageId }, 'job handler failed; the job returns after its visibility timeout'));
    consumer.on('timeout_error', (err, message) => this.logger.error({ err, messageId: message?.MessageId }, 'job handler timed out'));
    return consumer;
  }

  /**
   * Drains: stop receiving, give running agents `drainGraceMs`, then stop them and hand their runs
   * back to the queue; wait for the last long polls to return (handing back what they took);
   * finally remove the heartbeat. Idempotent.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'draining';
      // Not `abort`: that would also abort the heartbeats and deletes of the runs still going, and
      // aborting a long poll only closes our end: SQS may still hand a message to the abandoned
      // receive, and that message stays invisible for a whole visibility timeout. So the last
      // poll of each consumer is let run out (below), and whatever it took is handed straight back
      // (`accepting` is false).
      for (const c of this.consumers) c.stop();
      void this.heartbeatTick();
      const graceMs = options.graceMs ?? this.o.config.drainGraceMs;
      const deadline = Date.now() + graceMs;
      while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
      if (this.active.size > 0) {
        this.logger.warn({ runs: this.currentRuns }, 'drain grace over; stopping agents and requeueing their runs');
        for (const ex of this.active.values()) ex.interrupt();
      }
      await Promise.allSettled([...this.inFlight]);
      await this.pollsReturned();
      if (this.hbTimer) clearInterval(this.hbTimer);
      await this.hbTicking;
      await this.stores.workers.remove(this.o.config.tier, this.workerId).catch((err: unknown) => this.logger.warn({ err }, 'heartbeat removal failed'));
      await this.protection.set(false).catch(() => undefined);
      await this.gateway?.close();
      this.logger.info({}, 'worker stopped');
    })();
    return this.stopping;
  }

  private requireGateway(): ModelGateway {
    if (!this.gateway) throw new Error('the worker is not started');
    return this.gateway;
  }

  /**
   * Until every consumer's last receive has returned and what it brought is dealt with (handed
   * back, or deleted after its terminal write): at most one long poll, plus slack for a slow
   * network. Past that the receive is taken as stalled, and the process may exit.
   */
  private async pollsReturned(): Promise<void> {
    const deadline = Date.now() + this.o.config.pollSeconds * 1000 + 5000;
    while (this.consumers.some((c) => c.status.isPolling) && Date.now() < deadline) await sleep(20);
    if (this.consumers.some((c) => c.status.isPolling)) this.logger.warn({}, 'a receive did not return within its long poll; stopping anyway');
  }

  private async execute(run: RunRecord, leaseToken: string, slot: number): Promise<RunOutcome> {
    const ex = new RunExecution(
      {
        config: this.o.config,
        runs: this.stores.runs,
        s3: this.o.clients.s3,
        bucket: this.stores.names.bucket,
        params: this.o.params,
        identity: this.identities[slot],
        workerId: this.workerId,
        logger: this.logger,
        gateway: this.requireGateway(),
        monthlySpend: (r) => this.stores.usage.monthlySpendFor(r.tenantId, this.o.config.tiers[r.tier].monthlySpendUsd),
      },
      run,
      leaseToken,
    );
    this.active.set(run.runId, ex);
    this.setState();
    try {
      // Drain already over: do not start, hand it straight back.
      if (this.stopping && this.state === 'draining') ex.interrupt();
      return await ex.execute();
    } finally {
      this.active.delete(run.runId);
      this.setState();
    }
  }

  private setState(): void {
    const next: WorkerState = this.stopping ? 'draining' : this.active.size > 0 ? 'busy' : 'idle';
    const changed = next !== this.state;
    this.state = next;
    if (changed || this.active.size > 0) void this.heartbeatTick();
  }

  /** Writes the heartbeat and keeps task protection in step with busy/idle. Never overlaps, never throws. */
  private heartbeatTick(): Promise<void> {
    if (this.hbTicking) {
      // A state change during a write: write again right after, so busy/idle is never stale for a whole interval.
      this.hbAgain = true;
      return this.hbTicking;
    }
    const p = (async () => {
      const { config } = this.o;
      try {
        await this.stores.workers.heartbeat(
          {
            tier: config.tier,
            workerId: this.workerId,
            state: this.state,
            currentRuns: this.currentRuns,
            capacity: config.concurrency,
            agents: this.agents,
            agentVersions: this.agentVersions,
            version: this.version,
            host: os.hostname(),
            pid: process.pid,
            startedAt: this.startedAt,
          },
          Math.ceil((3 * config.heartbeatMs) / 1000),
        );
      } catch (err) {
        this.logger.warn({ err }, 'heartbeat write failed');
      }
      try {
        const busy = this.active.size > 0;
        if (busy && (this.protectedSince === undefined || Date.now() - this.protectedSince > PROTECTION_REFRESH_MS)) {
          await this.protection.set(true);
          this.protectedSince = Date.now();
        } else if (!busy && this.protectedSince !== undefined) {
          await this.protection.set(false);
          this.protectedSince = undefined;
        }
      } catch (err) {
        this.logger.warn({ err }, 'task protection update failed');
      }
    })().finally(() => {
      this.hbTicking = undefined;
      if (this.hbAgain) {
        this.hbAgain = false;
        void this.heartbeatTick();
      }
    });
    this.hbTicking = p;
    return p;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
