import { z } from 'zod';
import { TierName } from '../config/tiers.js';

// Re-exported so the browser (via `@outpost/shared/run-schema`) has the tier names too.
export { TierName };

/** What a run id looks like: `run_` and a ULID. */
export const RUN_ID_PATTERN = /^run_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The one status set (DESIGN.md). */
export const RunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

export const TERMINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export const TerminalStatus = z.enum(TERMINAL_STATUSES);
export type TerminalStatus = z.infer<typeof TerminalStatus>;
export const ACTIVE_STATUSES = ['queued', 'running'] as const;

export function isTerminal(status: RunStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

export const AgentName = z.enum(['claude', 'codex', 'gemini', 'aider', 'grok', 'shell']);
export type AgentName = z.infer<typeof AgentName>;
export const AGENT_NAMES: readonly AgentName[] = AgentName.options;

/** Machine-readable reasons a run ended badly or was refused. */
export const RunErrorCode = z.enum([
  'agent_failed',
  // the agent's model provider refused the key, limited the rate, or failed
  'provider_auth',
  'provider_rate_limited',
  'provider_error',
  'timeout',
  'cancelled',
  'lease_expired',
  'dead_lettered',
  'clone_failed',
  'agent_unavailable',
  'missing_secret',
  'invalid_job',
  // S3, SSM, DynamoDB or the network failed the worker on every attempt
  'dependency_unavailable',
  'internal',
  // the model gateway refused further calls: the run's maxCostUsd or the tenant's monthly limit was reached
  'budget_exceeded',
  // follow-ups: the parent's changes could not be replayed on its base commit
  'replay_failed',
  // promote
  'branch_exists',
  'patch_conflict',
  'push_failed',
  'pull_request_failed',
]);
export type RunErrorCode = z.infer<typeof RunErrorCode>;

export const RunError = z.object({ code: RunErrorCode, message: z.string().max(4000) });
export type RunError = z.infer<typeof RunError>;

export const Usage = z.object({
  inputTokens: z.number().nonnegative().optional(),
  outputTokens: z.number().nonnegative().optional(),
  cacheReadTokens: z.number().nonnegative().optional(),
  cacheWriteTokens: z.number().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

/** What a run spent on models through the worker's gateway (its own count, not the CLI's). */
export const RunSpendView = z.object({
  costUsd: z.number().nonnegative(),
  calls: z.number().nonnegative(),
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  cacheReadTokens: z.number().nonnegative(),
  cacheWriteTokens: z.number().nonnegative(),
});
export type RunSpendView = z.infer<typeof RunSpendView>;

export const RunSummary = z.object({
  durationMs: z.number().int().nonnegative(),
  exitCode: z.number().int().nullable(),
  filesChanged: z.number().int().nonnegative(),
  insertions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  committed: z.boolean().optional(),
  finalMessage: z.string().max(20_000).optional(),
  /** Tokens and cost as the model gateway counted them (the CLI's own report when no call went through it). */
  usage: Usage.optional(),
  /** What the agent CLI itself reported, kept as a cross-check of `usage`. */
  reportedUsage: Usage.optional(),
  /** The agent CLI's session id, when it printed one (a follow-up resumes it). */
  sessionId: z.string().max(200).optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const ArtifactName = z.enum(['log.txt', 'patch.diff', 'changes.bundle', 'summary.json', 'task.txt', 'session.tar.gz']);
export type ArtifactName = z.infer<typeof ArtifactName>;

export const ArtifactRef = z.object({
  name: ArtifactName,
  key: z.string(),
  bytes: z.number().int().nonnegative(),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;

export const PromotionStatus = z.enum(['pending', 'succeeded', 'failed']);
export type PromotionStatus = z.infer<typeof PromotionStatus>;

export const Promotion = z.object({
  status: PromotionStatus,
  requestedAt: z.string(),
  finishedAt: z.string().optional(),
  branch: z.string(),
  base: z.string().optional(),
  commitMessage: z.string().optional(),
  createPullRequest: z.boolean().default(false),
  /** Open the pull request as a draft; recorded only when true, and only with createPullRequest. */
  draft: z.boolean().optional(),
  /** For a follow-up: 'chain' pushes one commit per run of its chain instead of the whole change at once. */
  commits: z.enum(['one', 'chain']).optional(),
  title: z.string().optional(),
  body: z.string().optional(),
  commitSha: z.string().optional(),
  pullRequestUrl: z.string().optional(),
  error: RunError.optional(),
});
export type Promotion = z.infer<typeof Promotion>;

/** How a follow-up carried the parent's conversation: the CLI resumed its session, or got context in the task. */
export const Continuation = z.object({
  mode: z.enum(['resume', 'context']),
  reason: z.string().max(500).optional(),
});
export type Continuation = z.infer<typeof Continuation>;

export const Tags = z.record(z.string().min(1).max(64), z.string().max(256));
export type Tags = z.infer<typeof Tags>;

/** A run as stored in the runs table (index attributes included). Timestamps are ISO-8601 UTC. */
export const RunRecord = z.object({
  tenantId: z.string(),
  runId: z.string(),
  tier: TierName,
  agent: AgentName,
  model: z.string().optional(),
  repo: z.string(),
  ref: z.string().optional(),
  /** The task text, or absent when it is stored in S3 under taskKey. */
  task: z.string().optional(),
  taskKey: z.string().optional(),
  taskBytes: z.number().int().nonnegative(),
  tags: Tags.optional(),
  /** Tag pairs as `k=v` strings: what `list_runs` filters on. */
  tagPairs: z.array(z.string()).optional(),
  timeoutSeconds: z.number().int().positive(),
  /** The run's model budget in USD, resolved at dispatch (absent on runs from before budgets). */
  maxCostUsd: z.number().positive().optional(),
  /** Model spend so far while running (the worker writes it with its progress), final once ended. */
  spend: RunSpendView.optional(),
  status: RunStatus,
  attempt: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  idempotencyKey: z.string().optional(),
  /** W3C traceparent of the dispatch that created the run (absent when it was not traced). */
  traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/).optional(),
  createdAt: z.string(),
  queuedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  workerId: z.string().optional(),
  leaseToken: z.string().optional(),
  leaseExpiresAt: z.string().optional(),
  cancelRequestedAt: z.string().optional(),
  cancelReason: z.string().optional(),
  exitCode: z.number().int().nullable().optional(),
  error: RunError.optional(),
  logTail: z.string().optional(),
  logChunks: z.number().int().nonnegative().optional(),
  baseCommit: z.string().optional(),
  summary: RunSummary.optional(),
  artifacts: z.array(ArtifactRef).optional(),
  promotion: Promotion.optional(),
  /** Epoch seconds: DynamoDB TTL, set at the terminal transition. */
  expiresAt: z.number().int().optional(),
  // Follow-ups: the run this one continues, its chain's first run, its depth (root 0), the run a retry repeats.
  parentRunId: z.string().optional(),
  chainRootId: z.string().optional(),
  chainDepth: z.number().int().nonnegative().optional(),
  retryOfRunId: z.string().optional(),
  continuation: Continuation.optional(),
  // Index attributes (derived; written only by the run store).
  tenantStatus: z.string(),
  tenantAgent: z.string(),
  activePk: z.string().optional(),
  activeSk: z.string().optional(),
  parentKey: z.string().optional(),
  chainKey: z.string().optional(),
  version: z.number().int().nonnegative(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** What a client may see of a run: no lease internals, no index attributes. */
export const PublicRun = RunRecord.omit({
  leaseToken: true,
  tenantStatus: true,
  tenantAgent: true,
  activePk: true,
  activeSk: true,
  parentKey: true,
  chainKey: true,
  tagPairs: true,
  version: true,
  taskKey: true,
});
export type PublicRun = z.infer<typeof PublicRun>;

export function toPublicRun(run: RunRecord): PublicRun {
  const { leaseToken, tenantStatus, tenantAgent, activePk, activeSk, parentKey, chainKey, tagPairs, version, taskKey, ...rest } = run;
  void leaseToken, tenantStatus, tenantAgent, activePk, activeSk, parentKey, chainKey, tagPairs, version, taskKey;
  return rest;
}
