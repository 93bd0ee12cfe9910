import { chown, open, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  LeaseLostError,
  SECRET_PROVIDER,
  withSpan,
  redact,
  runLogger,
  type Continuation,
  type Logger,
  type MonthlySpend,
  type ParameterStore,
  type Provider,
  type RunRecord,
  type RunSpendView,
  type RunStore,
} from '@outpost/shared';
import { AgentProcess } from './agent-process.js';
import { ADAPTERS } from './agents/index.js';
import { buildAgentEnv, MissingSecretError } from './agents/env.js';
import { ARGV_TASK_LIMIT } from './agents/types.js';
import type { ArtifactTarget } from './artifacts.js';
import { FollowUp, type Conversation } from './follow-up.js';
import type { WorkerConfig } from './config.js';
import type { ModelGateway } from './gateway/gateway.js';
import type { RunGrant } from './gateway/run-grant.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LogSink } from './log-sink.js';
import { NonRetryableError, step } from './run-errors.js';
import { decide, describeExit, end, fail, spendOf, stoppedBeforeStart, type EndingContext, type RunOutcome, type StopReason, type StopState } from './run-ending.js';
import { loadSecrets, nextChunkSeq, readTask } from './run-inputs.js';
import { checkRef, InvalidRepoError, parseRepo } from './repo-spec.js';
import type { AgentIdentity } from './run-as.js';
import { Workspace } from './workspace.js';

export type { RunOutcome } from './run-ending.js';

export interface RunDeps {
  config: Pick<
    WorkerConfig,
    'mode' | 'env' | 'tiers' | 'root' | 'killGraceMs' | 'leaseMs' | 'renewMs' | 'agentBins' | 'agentPath' | 'liveLogMaxBytes' | 'providerEndpoints'
  >;
  runs: RunStore;
  s3: S3Client;
  bucket: string;
  params: ParameterStore;
  identity: AgentIdentity | undefined;
  workerId: string;
  logger: Logger;
  /** The worker's model gateway: agents get a run token and its endpoints, never a tenant's key. */
  gateway: ModelGateway;
  /** The tenant's monthly spend, shared by its runs (the gateway refuses calls past the limit). */
  monthlySpend?: (run: RunRecord) => MonthlySpend | undefined;
}

/** Grace for a cancel: the issue promises the agent is stopped within 5 s of the request. */
const CANCEL_GRACE_MS = 2000;

/**
 * One leased run, start to end: secrets, workspace, clone, agent, live log, artifacts, final
 * write. Every write is fenced by the lease; when the lease is lost the agent is stopped and
 * nothing more is written.
 */
export class RunExecution {
  private readonly log: Logger;
  private readonly stopState: StopState = { reason: undefined, cancelReason: 'cancelled by request', budgetMessage: 'the spending limit is reached' };
  private agent: AgentProcess | undefined;
  private grant: RunGrant | undefined;
  private secretValues: string[] = [];

  constructor(
    private readonly deps: RunDeps,
    readonly run: RunRecord,
    private readonly leaseToken: string,
  ) {
    this.log = runLogger(deps.logger, run).child({ attempt: run.attempt });
  }

  get runId(): string {
    return this.run.runId;
  }

  /** Stops the run for a drain: the agent is stopped and the run handed back to the queue. */
  interrupt(): void {
    this.stop('drain', this.deps.config.killGraceMs);
  }

  async execute(): Promise<RunOutcome> {
    const { run } = this;
    const keeper = new LeaseKeeper({
      runs: this.deps.runs,
      tenantId: run.tenantId,
      runId: run.runId,
      leaseToken: this.leaseToken,
      leaseMs: this.deps.config.leaseMs,
      renewMs: this.deps.config.renewMs,
      logger: this.log,
      onCancel: (reason) => {
        this.stopState.cancelReason = reason;
        this.log.info({}, 'cancel requested; stopping the agent');
        this.stop('cancel', CANCEL_GRACE_MS);
      },
      onLost: (err) => {
        this.log.warn({ err }, 'lease lost; stopping the agent, writing nothing more');
        this.stop('lost', CANCEL_GRACE_MS);
      },
    });
    keeper.start();
    let ws: Workspace | undefined;
    let sink: LogSink | undefined;
    let stdin: FileHandle | undefined;
    try {
      const secrets = await step("loading the tenant's secrets", () => loadSecrets(this.deps.params, this.deps.config.env, run.tenantId));
      this.secretValues = Object.values(secrets);
      const adapter = ADAPTERS[run.agent];
      let agentEnv: Record<string, string>;
      ws = await Workspace.create({
        root: this.deps.config.root,
        name: `${run.runId}-a${run.attempt}`,
        identity: this.deps.identity,
        pathEnv: this.deps.config.agentPath,
      });
      try {
        const envInput = { agent: run.agent, secrets, home: ws.homeDir, path: this.deps.config.agentPath, tmpDir: ws.tmpDir };
        // Which keys this agent would hold; the gateway holds them instead, behind one run token.
        const keys: Partial<Record<Provider, string>> = {};
        for (const name of buildAgentEnv(envInput).bound) {
          const provider = SECRET_PROVIDER[name];
          const value = secrets[name];
          if (provider && value !== undefined) keys[provider] ??= value;
        }
        this.grant = this.deps.gateway.grant({
          tenantId: run.tenantId,
          runId: run.runId,
          keys,
          // Runs dispatched before budgets existed have none: the tier's default applies.
          maxCostUsd: run.maxCostUsd ?? this.deps.config.tiers[run.tier].defaultMaxCostUsd,
          monthly: this.deps.monthlySpend?.(run),
          agentUid: this.deps.identity?.uid,
        });
        this.grant.onRefused((over) => {
          this.stopState.budgetMessage = over.message;
          this.log.info({ limit: over.limit, spentUsd: over.spentUsd }, 'model call refused for the budget; stopping the agent');
          this.stop('budget', CANCEL_GRACE_MS);
        });
        // The token is a credential while the run lasts: redacted like the keys it stands for.
        this.secretValues.push(this.grant.token);
        agentEnv = buildAgentEnv({ ...envInput, standIn: this.grant.token }).env;
      } catch (err) {
        if (err instanceof MissingSecretError) throw new NonRetryableError('missing_secret', err.message, { cause: err });
        throw err;
      }
      let spec;
      try {
        spec = parseRepo(run.repo, this.deps.config.mode);
        if (run.ref !== undefined) checkRef(run.ref);
      } catch (err) {
        if (err instanceof InvalidRepoError) throw new NonRetryableError('invalid_job', err.message, { cause: err });
        throw err;
      }
      let task = await step('reading the task', () => readTask(this.deps, run));
      const followUp = run.parentRunId ? await step('reading the run this one continues', () => FollowUp.load({ ...this.deps, logger: this.log }, run)) : undefined;
            sink = new LogSink({
        s3: this.deps.s3,
        bucket: this.deps.bucket,
        tenantId: run.tenantId,
        runId: run.runId,
        tier: run.tier,
        startSeq: await step('numbering the log chunks', () => nextChunkSeq(this.deps, run)),
        secrets: this.secretValues,
        file: path.join(ws.outDir, 'log.txt'),
        maxLiveBytes: this.deps.config.liveLogMaxBytes,
        streamLog: true,
        logger: this.log,
        onProgress: (logTail, logChunks) => this.progress({ logTail, logChunks, ...spendOf(this.grant) }),
      });
      sink.append('sys', [`attempt ${run.attempt} on worker ${this.deps.workerId}: ${run.agent} in ${run.repo}${run.ref ? ` at ${run.ref}` : ''}`]);

      const offerToken = spec.kind !== 'file' && (this.deps.config.mode === 'local' || spec.host === 'github.com');
      let base: string;
      try {
        // A follow-up starts where its chain started: the parent's base commit.
        const workspace = ws;
        base = await withSpan('clone', {}, () => workspace.clone(spec, followUp ? followUp.baseCommit : run.ref, offerToken ? secrets.github_token : undefined));
      } catch (err) {
        const message = this.redact(`clone of ${run.repo} failed: ${err instanceof Error ? err.message : String(err)}`);
        sink.append('sys', [message]);
        return await end(this.ending(), ws, sink, undefined, { status: 'failed', error: { code: 'clone_failed', message } });
      }
      await this.progress({ baseCommit: base });
      sink.append('sys', [`base commit ${base}`]);
      let conversation: Conversation | undefined;
      if (followUp) {
        const how = await step("replaying the parent's changes", () => followUp.replay(ws as Workspace));
        conversation = await step("restoring the parent's conversation", () => followUp.converse(ws as Workspace, adapter, task, () => readTask(this.deps, followUp.parent)));
        task = conversation.task;
        await this.progress({ continuation: conversation.continuation });
        sink.append('sys', [`continuing ${followUp.parent.runId} (its changes from ${how}); conversation: ${conversation.continuation.mode}${conversation.continuation.reason ? ` (${conversation.continuation.reason})` : ''}`]);
      }
      if (this.stopState.reason) return await end(this.ending(), ws, sink, base, stoppedBeforeStart(this.stopState));

      const parser = adapter.parser();
      let taskFile: string | undefined;
      if (Buffer.byteLength(task) > ARGV_TASK_LIMIT) {
        taskFile = path.join(ws.tmpDir, run.agent === 'shell' ? 'task.sh' : 'task.txt');
        await writeFile(taskFile, task, { mode: 0o600 });
        if (this.deps.identity) await chown(taskFile, this.deps.identity.uid, this.deps.identity.gid);
        if (adapter.largeTask === 'stdin') stdin = await open(taskFile, 'r');
      }
      const invocation = { task, model: run.model, taskFile, home: ws.homeDir, endpoints: this.deps.gateway.endpoints(), resumeSessionId: conversation?.resumeSessionId };
      const setup = adapter.setup?.(invocation) ?? {};
      if (setup.homeFiles) await ws.writeHomeFiles(setup.homeFiles);
      const started = Date.now();
      const agent = new AgentProcess({
        bin: this.deps.config.agentBins[run.agent],
        args: adapter.args(invocation),
        cwd: ws.repoDir,
        // The adapter's settings come last: the endpoint it hands the CLI is the deployment's.
        env: { ...agentEnv, ...setup.env },
        identity: this.deps.identity,
        stdinFd: stdin?.fd,
        sink,
        parser,
        logger: this.log,
        onStop: () => {
          this.log.info({}, 'the agent reported a failure no retry can mend; stopping it');
          this.stop('failure', CANCEL_GRACE_MS);
        },
      });
      this.agent = agent;
      // The child has its own copy of the descriptor now.
      await stdin?.close();
      stdin = undefined;
      // A stop requested while we were spawning.
      if (this.stopState.reason) void agent.stop(this.stopState.reason === 'drain' ? this.deps.config.killGraceMs : CANCEL_GRACE_MS);
      const timeoutMs = this.timeoutSeconds() * 1000;
      const timer = setTimeout(() => {
        this.log.info({ timeoutMs }, 'run timed out; stopping the agent');
        this.stop('timeout', this.deps.config.killGraceMs);
      }, timeoutMs);
      const exit = await withSpan(`agent ${run.agent}`, { attributes: { 'outpost.agent': run.agent } }, async (span) => {
        const ended = await agent.exited;
        if (ended.code !== null) span.setAttribute('process.exit.code', ended.code);
        return ended;
      });
      clearTimeout(timer);
      const durationMs = Date.now() - started;
      if (this.stopState.reason === 'lost') return { kind: 'lost' };
      sink.append('sys', [describeExit(exit, durationMs)]);
      const result = parser.result();
      const ending = decide({ stop: this.stopState, timeoutSeconds: this.timeoutSeconds(), agent: run.agent, exit, tail: sink.tail, result, secrets: this.secretValues });
      return await end(this.ending(), ws, sink, base, ending, { exit, durationMs, result });
    } catch (err) {
      if (err instanceof LeaseLostError || this.stopState.reason === 'lost') return { kind: 'lost' };
      try {
        return await fail(this.ending(), err, sink);
      } catch (e) {
        if (e instanceof LeaseLostError) return { kind: 'lost' };
        throw e;
      }
    } finally {
      await stdin?.close().catch(() => undefined);
      keeper.stop();
      if (this.agent) await this.agent.stop(CANCEL_GRACE_MS);
      // The token dies with the run: nothing left behind (a stray process, a copied token) can call models.
      this.grant?.revoke();
      if (this.stopState.reason === 'lost') await sink?.abandon().catch(() => undefined);
      else await sink?.close().catch(() => undefined);
      // A streamed log.txt the ending did not keep (an early failure) is dropped.
      await sink?.discardLog().catch(() => undefined);
      await ws?.remove().catch((err: unknown) => this.log.warn({ err }, 'workspace removal failed'));
    }
  }

  // --- steps ---

  private isLost(): boolean {
    return this.stopState.reason === 'lost';
  }

  private stop(reason: StopReason, graceMs: number): void {
    // The first reason wins, except that losing the lease overrides everything: nothing may be written.
    if (this.stopState.reason && reason !== 'lost') return;
    this.stopState.reason = reason;
    void this.agent?.stop(graceMs);
  }

  private async progress(p: { logTail?: string; logChunks?: number; baseCommit?: string; spend?: RunSpendView; continuation?: Continuation }): Promise<void> {
    if (this.stopState.reason === 'lost') return;
    try {
      await this.deps.runs.recordProgress({ tenantId: this.run.tenantId, runId: this.run.runId, leaseToken: this.leaseToken, ...p });
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.log.warn({ err }, 'lease lost; stopping the agent, writing nothing more');
        this.stop('lost', CANCEL_GRACE_MS);
      }
      throw err;
    }
  }

  private timeoutSeconds(): number {
    return Math.min(this.run.timeoutSeconds, this.deps.config.tiers[this.run.tier].maxTimeoutSeconds);
  }

  /** What the terminal write needs, as it stands now. */
  private ending(): EndingContext {
    return {
      runs: this.deps.runs,
      target: this.target(),
      run: this.run,
      leaseToken: this.leaseToken,
      log: this.log,
      secrets: this.secretValues,
      grant: this.grant,
      isLost: () => this.isLost(),
    };
  }

  private target(): ArtifactTarget {
    return { s3: this.deps.s3, bucket: this.deps.bucket, tenantId: this.run.tenantId, runId: this.run.runId, tier: this.run.tier };
  }

  private redact(text: string): string {
    return redact(text, this.secretValues);
  }
}
