import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  AGENT_NAMES,
  BaseEnv,
  checkBaseEnv,
  DEFAULT_PRICES,
  JsonText,
  PriceTable,
  parseEnv,
  PROVIDER_BASE_URL_ENV,
  PROVIDERS,
  TierName,
  toBaseConfig,
  type AgentName,
  type BaseConfig,
  type Provider,
} from '@outpost/shared';

const seconds = (def: number) => z.coerce.number().positive().default(def);
const baseUrl = (doc: string) =>
  z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional()
    .describe(doc);

/** The worker's variables (each key is the environment variable). */
export const WorkerEnv = BaseEnv.extend({
  OUTPOST_WORKER_TIER: TierName.describe('Tier whose queue this worker serves (required).'),
  OUTPOST_WORKER_ID: z.string().regex(/^wkr_[0-9A-Za-z]+$/).optional().describe('Worker id; a fresh `wkr_…` id when unset.'),
  OUTPOST_WORKER_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .optional()
    .describe(
      "Runs one worker handles at once. Default: its tier's `runsPerWorker` (1 for every tier unless `OUTPOST_TIERS` changes it), the number the dispatcher sizes pools by; the local scaler passes that value.",
    ),
  OUTPOST_WORKER_ROOT: z.string().min(1).optional().describe('Directory for run workspaces. Default `$TMPDIR/outpost-work`.'),
  OUTPOST_DRAIN_GRACE_SECONDS: seconds(100).describe('On SIGTERM, how long running agents may go on before they are stopped and their runs requeued.'),
  OUTPOST_LEASE_SECONDS: seconds(30).describe('Lease length on a run; renewed while the run lasts.'),
  OUTPOST_LEASE_RENEW_SECONDS: seconds(2).describe('How often the lease is renewed (and a cancel request noticed).'),
  OUTPOST_KILL_GRACE_SECONDS: seconds(10).describe('SIGTERM → SIGKILL grace when an agent is stopped (timeout, drain).'),
  OUTPOST_WORKER_VISIBILITY_SECONDS: z.coerce
    .number()
    .int()
    .min(2)
    .max(43_200)
    .default(60)
    .describe('SQS visibility timeout of a received job; extended by a heartbeat while the run lasts.'),
  OUTPOST_WORKER_POLL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .optional()
    .describe(
      'Long-poll length of each SQS receive. A stopping worker lets its last receive run out (aborting it could lose a job ' +
        'for a visibility timeout), so this bounds how long an idle worker takes to stop. Default 20 (the SQS maximum, fewest ' +
        'requests) in aws mode, 5 in local mode (the emulator\'s receives cost nothing, and Ctrl-C waits for them).',
    ),
  OUTPOST_WORKER_HEARTBEAT_SECONDS: seconds(5).describe('How often the worker heartbeat item is written.'),
  OUTPOST_AGENT_USER: z
    .string()
    .default('nobody')
    .describe('Unprivileged user agents run as when the worker runs as root (a name or a numeric uid).'),
  OUTPOST_AGENT_UID_BASE: z.coerce
    .number()
    .int()
    .min(1000)
    .max(2 ** 31 - 100)
    .optional()
    .describe(
      'When the worker is root: run slot N\'s agent as uid/gid BASE+N instead of OUTPOST_AGENT_USER, so concurrent agents ' +
        '(possibly of different tenants) cannot read each other\'s files or /proc/<pid>/environ. The uids need no passwd entry.',
    ),
  OUTPOST_AGENT_PATH: z.string().optional().describe('PATH given to agents. Default: the Node binary directory plus the standard system directories.'),
  OUTPOST_LIVE_LOG_MAX_MB: z.coerce.number().int().min(1).default(64).describe('Live log chunks stop after this many MiB; the whole log is still uploaded at the end.'),
  OUTPOST_AGENT_CLAUDE_BIN: z.string().default('claude').describe('Claude Code binary.'),
  OUTPOST_AGENT_CODEX_BIN: z.string().default('codex').describe('Codex CLI binary.'),
  OUTPOST_AGENT_GEMINI_BIN: z.string().default('gemini').describe('Gemini CLI binary.'),
  OUTPOST_AGENT_AIDER_BIN: z.string().default('aider').describe('Aider binary.'),
  OUTPOST_AGENT_GROK_BIN: z.string().default('grok').describe('Grok CLI binary.'),
  OUTPOST_AGENT_SHELL_BIN: z.string().default('sh').describe('Shell for the `shell` agent.'),
  OUTPOST_ANTHROPIC_BASE_URL: baseUrl('Anthropic Messages API base URL for claude and aider (an LLM gateway or proxy). Default: the vendor\'s.'),
  OUTPOST_OPENAI_BASE_URL: baseUrl('OpenAI API base URL, ending in `/v1`, for codex and aider. Default: the vendor\'s.'),
  OUTPOST_GEMINI_BASE_URL: baseUrl('Gemini API base URL for gemini and aider. Default: the vendor\'s.'),
  OUTPOST_XAI_BASE_URL: baseUrl('xAI API base URL, ending in `/v1`, for grok and aider. Default: the vendor\'s.'),
  OUTPOST_MODEL_PRICES: JsonText
    .pipe(PriceTable)
    .optional()
    .describe(
      'JSON prices (USD per million tokens) by model-name prefix, over the built-in table, e.g. ' +
        '`{"my-model":{"input":1,"output":4,"cacheRead":0.1}}`; `default` prices models no entry names. Budgets count cost at these prices.',
    ),
  OUTPOST_GITHUB_API_URL: z
    .url()
    .default('https://api.github.com')
    .describe('GitHub REST API base URL for `promote` pull requests (GitHub Enterprise: `https://HOST/api/v3`).'),
  OUTPOST_PROMOTE_AUTHOR_NAME: z.string().min(1).default('Outpost').describe('Author and committer name of the commits `promote` makes.'),
  OUTPOST_PROMOTE_AUTHOR_EMAIL: z
    .string()
    .min(3)
    .default('outpost@users.noreply.github.com')
    .describe('Author and committer email of the commits `promote` makes.'),
  ECS_AGENT_URI: z.string().optional().describe('Set by ECS; used for task scale-in protection while busy (aws mode).'),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** The base configuration every service reads, and the worker's own settings, flat (like the edge's and the dispatcher's). */
export interface WorkerConfig extends BaseConfig {
  tier: TierName;
  workerId: string | undefined;
  concurrency: number;
  root: string;
  drainGraceMs: number;
  leaseMs: number;
  renewMs: number;
  killGraceMs: number;
  visibilitySeconds: number;
  /** SQS long-poll length of each receive (1–20 s). */
  pollSeconds: number;
  heartbeatMs: number;
  agentUser: string;
  agentUidBase: number | undefined;
  agentPath: string;
  liveLogMaxBytes: number;
  agentBins: Record<AgentName, string>;
  /** Provider base URLs set for this deployment (no trailing slash); a missing one means the vendor's. */
  providerEndpoints: Partial<Record<Provider, string>>;
  /** Model prices the gateway counts cost with (the built-in table under OUTPOST_MODEL_PRICES). */
  prices: PriceTable;
  ecsAgentUri: string | undefined;
  /** GitHub REST API base (no trailing slash), for promote's pull requests. */
  githubApiUrl: string;
  promoteAuthor: { name: string; email: string };
}

function checkWorkerEnv(env: WorkerEnv, ctx: z.RefinementCtx): void {
  checkBaseEnv(env, ctx);
  if (env.OUTPOST_LEASE_RENEW_SECONDS * 2 > env.OUTPOST_LEASE_SECONDS) {
    ctx.addIssue({ code: 'custom', path: ['OUTPOST_LEASE_RENEW_SECONDS'], message: 'must be at most half of OUTPOST_LEASE_SECONDS' });
  }
}

export function defaultAgentPath(): string {
  return [path.dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
}

/** Parses the worker's environment. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const parsed = parseEnv(WorkerEnv.superRefine(checkWorkerEnv), env);
  const base = toBaseConfig(parsed);
  const bins = {} as Record<AgentName, string>;
  for (const name of AGENT_NAMES) bins[name] = parsed[`OUTPOST_AGENT_${name.toUpperCase()}_BIN` as `OUTPOST_AGENT_CLAUDE_BIN`];
  const providerEndpoints: Partial<Record<Provider, string>> = {};
  for (const p of PROVIDERS) {
    const url = parsed[PROVIDER_BASE_URL_ENV[p]];
    if (url) providerEndpoints[p] = url;
  }
  return {
    ...base,
    tier: parsed.OUTPOST_WORKER_TIER,
    workerId: parsed.OUTPOST_WORKER_ID,
    // The scaler wants ceil(backlog / runsPerWorker) workers: a worker taking any other number of
    // runs would leave its pool too small or too large.
    concurrency: parsed.OUTPOST_WORKER_CONCURRENCY ?? base.tiers[parsed.OUTPOST_WORKER_TIER].runsPerWorker,
    root: path.resolve(parsed.OUTPOST_WORKER_ROOT ?? path.join(os.tmpdir(), 'outpost-work')),
    drainGraceMs: parsed.OUTPOST_DRAIN_GRACE_SECONDS * 1000,
    leaseMs: parsed.OUTPOST_LEASE_SECONDS * 1000,
    renewMs: parsed.OUTPOST_LEASE_RENEW_SECONDS * 1000,
    killGraceMs: parsed.OUTPOST_KILL_GRACE_SECONDS * 1000,
    visibilitySeconds: parsed.OUTPOST_WORKER_VISIBILITY_SECONDS,
    pollSeconds: parsed.OUTPOST_WORKER_POLL_SECONDS ?? (base.mode === 'local' ? 5 : 20),
    heartbeatMs: parsed.OUTPOST_WORKER_HEARTBEAT_SECONDS * 1000,
    agentUser: parsed.OUTPOST_AGENT_USER,
    agentUidBase: parsed.OUTPOST_AGENT_UID_BASE,
    agentPath: parsed.OUTPOST_AGENT_PATH ?? defaultAgentPath(),
    liveLogMaxBytes: parsed.OUTPOST_LIVE_LOG_MAX_MB * 1024 * 1024,
    agentBins: bins,
    providerEndpoints,
    prices: { ...DEFAULT_PRICES, ...parsed.OUTPOST_MODEL_PRICES },
    ecsAgentUri: parsed.ECS_AGENT_URI,
    githubApiUrl: parsed.OUTPOST_GITHUB_API_URL.replace(/\/+$/, ''),
    promoteAuthor: { name: parsed.OUTPOST_PROMOTE_AUTHOR_NAME, email: parsed.OUTPOST_PROMOTE_AUTHOR_EMAIL },
  };
}
