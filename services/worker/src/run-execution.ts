import { chown, open, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  artifactKeys,
  LeaseLostError,
  parameterPaths,
  SECRET_PROVIDER,
  redact,
  runLogger,
  secretsFromParameters,
  type ArtifactRef,
  type Continuation,
  type Logger,
  type MonthlySpend,
  type ParameterStore,
  type Provider,
  type RunError,
  type RunRecord,
  type RunSpendView,
  type RunStore,
  type RunSummary,
  type SecretName,
  type TerminalStatus,
  type Usage,
} from '@outpost/shared';
import { AgentProcess, type AgentExit } from './agent-process.js';
import { ADAPTERS } from './agents/index.js';
import { buildAgentEnv, MissingSecretError } from './agents/env.js';
import { ARGV_TASK_LIMIT, type AgentResult } from './agents/types.js';
import { uploadFile, uploadJson, type ArtifactTarget } from './artifacts.js';
import { archiveSession, FollowUp, type Conversation } from './follow-up.js';
import type { WorkerConfig } from './config.js';
import type { ModelGateway } from './gateway/gateway.js';
import type { RunGrant } from './gateway/run-grant.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LogSink } from './log-sink.js';
import { decideFailure, NonRetryableError, step } from './run-errors.js';
import { checkRef, InvalidRepoError, parseRepo } from './repo-spec.js';
import type { AgentIdentity } from './run-as.js';
import { Workspace, type CollectedChanges } from './workspace.js';

export interface RunDeps {
  config: Pick<
    WorkerConfig,
    'base' | 'root' | 'killGraceMs' | 'leaseMs' | 'renewMs' | 'agentBins' | 'agentPath' | 'liveLogMaxBytes' | 'providerEndpoints'
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

/** How a run execution ended, from the message's point of view. */
export type RunOutcome =
  | { kind: 'finished'; status: TerminalStatus }
  /** The lease went to someone else: nothing was written; the message is not ours to settle. */
  | { kind: 'lost' }
  /**
   * Handed back to the queue (a drain, or a retry after a worker-side failure): the message should
   * become visible again, after `retryInSeconds` when set.
   */
  | { kind: 'released'; retryInSeconds?: number };

/**
 * Why the worker stopped the agent; `failure`: its own output showed a failure (a refused key);
 * `budget`: the gateway refused a model call for the run's or the tenant's spending limit.
 */
type StopReason = 'cancel' | 'timeout' | 'drain' | 'lost' | 'failure' | 'budget';

/** Grace for a cancel: the issue promises the agent is stopped within 5 s of the request. */
const CANCEL_GRACE_MS = 2000;
const TAIL_LINES_IN_ERROR = 15;

/**
 * One leased run, start to end: secrets, workspace, clone, agent, live log, artifacts, final
 * write. Every write is fenced by the lease; when the lease is lost the agent is stopped and
 * nothing more is written.
 */
export class RunExecution {
  private readonly log: Logger;
  private stopReason: StopReason | undefined;
  private cancelReason = 'cancelled by request';
  private budgetMessage = 'the spending limit is reached';
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
        this.cancelReason = reason;
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
      const secrets = await step("loading the tenant's secrets", () => this.loadSecrets());
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
          maxCostUsd: run.maxCostUsd ?? this.deps.config.base.tiers[run.tier].defaultMaxCostUsd,
          monthly: this.deps.monthlySpend?.(run),
          agentUid: this.deps.identity?.uid,
        });
        this.grant.onRefused((over) => {
          this.budgetMessage = over.message;
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
        spec = parseRepo(run.repo, this.deps.config.base.mode);
        if (run.ref !== undefined) checkRef(run.ref);
      } catch (err) {
        if (err instanceof InvalidRepoError) throw new NonRetryableError('invalid_job', err.message, { cause: err });
        throw err;
      }
      let task = await step('reading the task', () => this.readTask());
      const followUp = run.parentRunId ? await step('reading the run this one continues', () => FollowUp.load({ ...this.deps, logger: this.log }, run)) : undefined;
      const target = this.target();
      sink = new LogSink({
        s3: this.deps.s3,
        bucket: this.deps.bucket,
        tenantId: run.tenantId,
        runId: run.runId,
        tier: run.tier,
        startSeq: await step('numbering the log chunks', () => this.nextChunkSeq()),
        secrets: this.secretValues,
        file: path.join(ws.outDir, 'log.txt'),
        maxLiveBytes: this.deps.config.liveLogMaxBytes,
        logger: this.log,
        onProgress: (logTail, logChunks) => this.progress({ logTail, logChunks, ...this.spend() }),
      });
      sink.append('sys', [`attempt ${run.attempt} on worker ${this.deps.workerId}: ${run.agent} in ${run.repo}${run.ref ? ` at ${run.ref}` : ''}`]);

      const offerToken = spec.kind !== 'file' && (this.deps.config.base.mode === 'local' || spec.host === 'github.com');
      let base: string;
      try {
        // A follow-up starts where its chain started: the parent's base commit.
        base = await ws.clone(spec, followUp ? followUp.baseCommit : run.ref, offerToken ? secrets.github_token : undefined);
      } catch (err) {
        const message = this.redact(`clone of ${run.repo} failed: ${err instanceof Error ? err.message : String(err)}`);
        sink.append('sys', [message]);
        return await this.end(ws, sink, undefined, { status: 'failed', error: { code: 'clone_failed', message } });
      }
      await this.progress({ baseCommit: base });
      sink.append('sys', [`base commit ${base}`]);
      let conversation: Conversation | undefined;
      if (followUp) {
        const how = await step("replaying the parent's changes", () => followUp.replay(ws as Workspace));
        conversation = await step("restoring the parent's conversation", () => followUp.converse(ws as Workspace, adapter, task, () => this.readTask(followUp.parent)));
        task = conversation.task;
        await this.progress({ continuation: conversation.continuation });
        sink.append('sys', [`continuing ${followUp.parent.runId} (its changes from ${how}); conversation: ${conversation.continuation.mode}${conversation.continuation.reason ? ` (${conversation.continuation.reason})` : ''}`]);
      }
      if (this.stopReason) return await this.end(ws, sink, base, this.stoppedBeforeStart());

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
      if (this.stopReason) void agent.stop(this.stopReason === 'drain' ? this.deps.config.killGraceMs : CANCEL_GRACE_MS);
      const timeoutMs = this.timeoutSeconds() * 1000;
      const timer = setTimeout(() => {
        this.log.info({ timeoutMs }, 'run timed out; stopping the agent');
        this.stop('timeout', this.deps.config.killGraceMs);
      }, timeoutMs);
      const exit = await agent.exited;
      clearTimeout(timer);
      const durationMs = Date.now() - started;
      if (this.stopReason === 'lost') return { kind: 'lost' };
      sink.append('sys', [describeExit(exit, durationMs)]);
      const result = parser.result();
      return await this.end(ws, sink, base, this.decide(exit, sink, result), { exit, durationMs, result });
    } catch (err) {
      if (err instanceof LeaseLostError || this.stopReason === 'lost') return { kind: 'lost' };
      try {
        return await this.failed(err, sink);
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
      if (this.stopReason === 'lost') await sink?.abandon().catch(() => undefined);
      else await sink?.close().catch(() => undefined);
      await ws?.remove().catch((err: unknown) => this.log.warn({ err }, 'workspace removal failed'));
    }
  }

  // --- steps ---

  private isLost(): boolean {
    return this.stopReason === 'lost';
  }

  private stop(reason: StopReason, graceMs: number): void {
    // The first reason wins, except that losing the lease overrides everything: nothing may be written.
    if (this.stopReason && reason !== 'lost') return;
    this.stopReason = reason;
    void this.agent?.stop(graceMs);
  }

  private stoppedBeforeStart(): Ending {
    if (this.stopReason === 'cancel') return { status: 'cancelled', error: { code: 'cancelled', message: this.cancelReason } };
    return { status: 'release' };
  }

  private decide(exit: AgentExit, sink: LogSink, result: AgentResult): Ending {
    switch (this.stopReason) {
      case 'cancel':
        return { status: 'cancelled', error: { code: 'cancelled', message: this.cancelReason } };
      case 'timeout':
        return { status: 'timed_out', error: { code: 'timeout', message: `the agent ran longer than ${this.timeoutSeconds()} s and was stopped` } };
      case 'drain':
        return { status: 'release' };
      case 'budget':
        return { status: 'failed', error: { code: 'budget_exceeded', message: `${this.budgetMessage}; no more model calls were allowed` } };
      case 'lost':
      case 'failure':
      case undefined:
        break;
    }
    if (exit.spawnError) {
      const code = (exit.spawnError as NodeJS.ErrnoException).code ?? 'error';
      return {
        status: 'failed',
        error: { code: 'agent_unavailable', message: `agent ${this.run.agent} could not be started (${code}); it is not installed on this worker` },
      };
    }
    // A run succeeds only when the agent exits 0 and its own output does not say it failed.
    if (exit.code === 0 && !result.failure) return { status: 'succeeded' };
    const lines = sink.tail.split('\n').filter(Boolean).slice(-TAIL_LINES_IN_ERROR).join('\n');
    const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? 'unknown'}`;
    const code = result.failure?.code ?? 'agent_failed';
    const said = result.failure ? `${result.failure.message}; ` : '';
    const stopped = this.stopReason === 'failure' ? 'was stopped' : `exited with ${how}`;
    // The agent's own words come first and stay whole; the last lines fill what room is left.
    const head = this.redact(`${said}agent ${stopped}`).slice(0, 1500);
    const tail = this.redact(lines);
    return { status: 'failed', error: { code, message: `${head}; last lines:\n${tail.slice(-(3900 - head.length))}` } };
  }

  /** Uploads what exists and writes the run's end (or hands it back to the queue). */
  private async end(
    ws: Workspace,
    sink: LogSink,
    base: string | undefined,
    ending: Ending,
    agent?: { exit: AgentExit; durationMs: number; result: AgentResult },
  ): Promise<RunOutcome> {
    const t = this.target();
    let changes: CollectedChanges | undefined;
    if (base) {
      try {
        changes = await ws.collect(base, this.secretValues);
        if (changes.secretInChanges) sink.append('sys', ['the changes contain a secret: it is redacted in patch.diff and no changes.bundle is shared']);
      } catch (err) {
        this.log.warn({ err }, 'collecting changes failed');
        sink.append('sys', [this.redact(`collecting changes failed: ${err instanceof Error ? err.message : String(err)}`)]);
      }
    }
    if (this.isLost()) return { kind: 'lost' };
    await sink.close();
    // The final progress write may have found the lease gone.
    if (this.isLost()) return { kind: 'lost' };
    const artifacts: ArtifactRef[] = [await uploadFile(t, 'log.txt', path.join(ws.outDir, 'log.txt'), 'text/plain; charset=utf-8')];
    if (changes) artifacts.push(await uploadFile(t, 'patch.diff', changes.patchFile, 'text/x-diff'));
    if (changes?.bundleFile) artifacts.push(await uploadFile(t, 'changes.bundle', changes.bundleFile, 'application/octet-stream'));
    const session = await archiveSession({ ws, adapter: ADAPTERS[this.run.agent], sessionId: agent?.result.sessionId, secrets: this.secretValues, target: t, logger: this.log });
    if (session) artifacts.push(session);
    let summary: RunSummary | undefined;
    const spend = this.spend();
    if (agent) {
      const usage = this.grant && this.grant.spent().calls > 0 ? gatewayUsage(this.grant) : agent.result.usage;
      const finalMessage = agent.result.finalMessage !== undefined ? this.redact(agent.result.finalMessage) : undefined;
      summary = {
        durationMs: agent.durationMs,
        exitCode: agent.exit.code,
        filesChanged: changes?.filesChanged ?? 0,
        insertions: changes?.insertions ?? 0,
        deletions: changes?.deletions ?? 0,
        committed: changes?.committed ?? false,
        ...(finalMessage !== undefined ? { finalMessage } : {}),
        ...(usage ? { usage } : {}),
        ...(agent.result.usage ? { reportedUsage: agent.result.usage } : {}),
        ...(agent.result.sessionId ? { sessionId: agent.result.sessionId } : {}),
      };
      artifacts.push(await uploadJson(t, 'summary.json', { runId: this.run.runId, attempt: this.run.attempt, status: ending.status, baseCommit: base, ...summary }));
    }
    if (ending.status === 'release') {
      await this.deps.runs.release({
        tenantId: this.run.tenantId,
        runId: this.run.runId,
        tier: this.run.tier,
        leaseToken: this.leaseToken,
        countAttempt: false,
      });
      this.log.info({}, 'run handed back to the queue');
      return { kind: 'released' };
    }
    await this.deps.runs.finish({
      tenantId: this.run.tenantId,
      runId: this.run.runId,
      leaseToken: this.leaseToken,
      status: ending.status,
      ...(agent ? { exitCode: agent.exit.code } : {}),
      ...(ending.error ? { error: ending.error } : {}),
      ...(summary ? { summary } : {}),
      artifacts,
      logTail: sink.tail,
      ...spend,
    });
    this.log.info({ status: ending.status, ...(ending.error ? { code: ending.error.code } : {}) }, 'run finished');
    return { kind: 'finished', status: ending.status };
  }

  /**
   * A step threw (a NonRetryableError, an S3/SSM/DynamoDB error past the SDK's retries, a bug):
   * back to the queue with the attempt counted, or failed, as `decideFailure` says.
   */
  private async failed(err: unknown, sink: LogSink | undefined): Promise<RunOutcome> {
    const decision = decideFailure(err, this.run);
    const message = this.redact(decision.message).slice(-3900);
    if (decision.action === 'retry') {
      this.log.warn({ err, code: decision.code, retryInSeconds: decision.delaySeconds }, 'run failed inside the worker; retrying it');
      sink?.append('sys', [`attempt ${this.run.attempt} failed: ${message}; retrying in ${decision.delaySeconds} s`]);
      await this.closeSink(sink);
      await this.deps.runs.release({ tenantId: this.run.tenantId, runId: this.run.runId, tier: this.run.tier, leaseToken: this.leaseToken, countAttempt: true });
      return { kind: 'released', retryInSeconds: decision.delaySeconds };
    }
    this.log.error({ err, code: decision.code }, 'run failed inside the worker');
    sink?.append('sys', [message]);
    await this.closeSink(sink);
    return await this.finishEarly('failed', { code: decision.code, message });
  }

  /** Flushes the log before a failure is written; an S3 that is down must not keep the run from ending. */
  private async closeSink(sink: LogSink | undefined): Promise<void> {
    try {
      await sink?.close();
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      this.log.warn({ err }, 'could not flush the log');
    }
  }

  /** Ends a run with an error and no agent result (bad input, missing secret, a worker-side failure). */
  private async finishEarly(status: TerminalStatus, error: RunError): Promise<RunOutcome> {
    await this.deps.runs.finish({
      tenantId: this.run.tenantId,
      runId: this.run.runId,
      leaseToken: this.leaseToken,
      status,
      error: { code: error.code, message: this.redact(error.message) },
    });
    this.log.info({ status, code: error.code }, 'run finished without an agent result');
    return { kind: 'finished', status };
  }

  /** What the run spent through the gateway, for the run record (nothing before the first call). */
  private spend(): { spend?: RunSpendView } {
    return this.grant && this.grant.spent().calls > 0 ? { spend: this.grant.spendView() } : {};
  }

  private async progress(p: { logTail?: string; logChunks?: number; baseCommit?: string; spend?: RunSpendView; continuation?: Continuation }): Promise<void> {
    if (this.stopReason === 'lost') return;
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

  private async loadSecrets(): Promise<Partial<Record<SecretName, string>>> {
    const prefix = parameterPaths.tenantSecrets(this.deps.config.base.env, this.run.tenantId);
    return secretsFromParameters(await this.deps.params.getByPath(prefix), prefix);
  }

  /**
   * Chunks of earlier attempts are kept, so this attempt numbers on after them. The run's
   * logChunks can lag the bucket by a second when a worker died, so the bucket decides.
   */
  private async nextChunkSeq(): Promise<number> {
    const prefix = artifactKeys.logChunkPrefix(this.run.tenantId, this.run.runId);
    let next = this.run.logChunks ?? 0;
    let token: string | undefined;
    do {
      const page = await this.deps.s3.send(
        new ListObjectsV2Command({ Bucket: this.deps.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) {
        const seq = Number(/(\d+)\.txt$/.exec(o.Key ?? '')?.[1]);
        if (Number.isInteger(seq)) next = Math.max(next, seq + 1);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return next;
  }

  private async readTask(run: RunRecord = this.run): Promise<string> {
    if (run.task !== undefined) return run.task;
    const key = run.taskKey;
    if (!key) throw new NonRetryableError('invalid_job', 'the run has neither a task nor a task object');
    try {
      const out = await this.deps.s3.send(new GetObjectCommand({ Bucket: this.deps.bucket, Key: key }));
      if (!out.Body) throw new NonRetryableError('invalid_job', `the task object ${key} is empty`);
      return await out.Body.transformToString('utf8');
    } catch (err) {
      // The edge writes the object before it queues the run: gone now means deleted, for good.
      if (err instanceof Error && err.name === 'NoSuchKey') throw new NonRetryableError('invalid_job', `the task object ${key} is gone`, { cause: err });
      throw err;
    }
  }

  private timeoutSeconds(): number {
    return Math.min(this.run.timeoutSeconds, this.deps.config.base.tiers[this.run.tier].maxTimeoutSeconds);
  }

  private target(): ArtifactTarget {
    return { s3: this.deps.s3, bucket: this.deps.bucket, tenantId: this.run.tenantId, runId: this.run.runId, tier: this.run.tier };
  }

  private redact(text: string): string {
    return redact(text, this.secretValues);
  }
}

type Ending = { status: TerminalStatus | 'release'; error?: RunError };

function gatewayUsage(grant: RunGrant): Usage {
  const { usage, costUsd } = grant.spent();
  return { ...usage, costUsd };
}

function describeExit(exit: AgentExit, durationMs: number): string {
  if (exit.spawnError) return `agent could not be started: ${(exit.spawnError as NodeJS.ErrnoException).code ?? exit.spawnError.message}`;
  const how = exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal ?? 'unknown'}`;
  return `agent ended with ${how} after ${(durationMs / 1000).toFixed(1)} s`;
}
