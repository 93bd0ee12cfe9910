import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { VENDOR_BASE_URLS } from '@outpost/shared';
import { z } from 'zod';
import { JsonLineJoiner } from './json-line-joiner.js';
import type { AgentAdapter, AgentFailure, AgentFailureCode, AgentInvocation, AgentResult, AgentSetup, OutputParser } from './types.js';
import { clip, compactUsage, providerFailureCode, tryJson } from './types.js';

/**
 * How often Claude Code retries a failed API call. Its default (10, backing off to ~30 s) keeps a
 * run on a 429 or 500 for about three minutes; 4 gives up after ~10 s and still rides out a blip.
 */
export const CLAUDE_MAX_RETRIES = 4;

/**
 * Claude Code 2.1.329 headless: `claude -p --output-format stream-json --verbose`. Each stdout
 * line is a JSON event; the last, `result`, carries the answer, the usage summed over every API
 * call (cache tokens included), `total_cost_usd`, and for a failure `is_error` with
 * `api_error_status`. Without a prompt argument it reads the prompt from stdin (large tasks).
 *
 * Endpoint and settings: ANTHROPIC_BASE_URL is always set (the vendor default too). A
 * repository's `.claude/settings.json` and `.claude/settings.local.json` are settings sources
 * that outrank the environment (their `env` block set ANTHROPIC_BASE_URL; their hooks ran with
 * the key in the environment), so `--setting-sources user` loads only HOME's, which the worker
 * owns; `--strict-mcp-config` keeps a repository's `.mcp.json` servers from starting. That
 * would drop the repository's CLAUDE.md too (it is a project source), so the repository is also
 * an added directory, whose CLAUDE.md files load but whose settings do not. It does not read
 * `.env` (measured: a `.env` variable reached neither the CLI nor its tools).
 *
 * It refuses `--dangerously-skip-permissions` as root; the worker never runs agents as root.
 */
/** Claude Code's directory name for a project: the absolute cwd with every non-alphanumeric character as '-'. */
export function claudeProjectSlug(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

export const claudeAdapter: AgentAdapter = {
  name: 'claude',
  args: ({ task, model, taskFile, resumeSessionId }) => [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--dangerously-skip-permissions',
    // The working directory (the repository) again, so that its CLAUDE.md files load without
    // its settings (CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD); the option takes a list, so
    // an option must follow.
    '--add-dir',
    '.',
    '--setting-sources',
    'user',
    '--strict-mcp-config',
    ...(model ? ['--model', model] : []),
    ...(resumeSessionId ? ['--resume', resumeSessionId] : []),
    ...(taskFile ? [] : ['--', task]),
  ],
  session: {
    // Claude Code keeps a session as ~/.claude/projects/<cwd with every non-alphanumeric as '-'>/<id>.jsonl.
    files: async (home, id) => {
      const root = path.join(home, '.claude', 'projects');
      const dirs = await readdir(root).catch(() => [] as string[]);
      return dirs.map((d) => path.posix.join('.claude/projects', d, `${id}.jsonl`));
    },
    restorePath: (rel, cwd) => {
      const m = /^\.claude\/projects\/[^/]+\/([0-9a-f-]{36}\.jsonl)$/.exec(rel);
      return m ? path.posix.join('.claude/projects', claudeProjectSlug(cwd), m[1] as string) : undefined;
    },
  },
  largeTask: 'stdin',
  probeArgs: ['--version'],
  setup: (inv: AgentInvocation): AgentSetup => ({
    env: {
      ANTHROPIC_BASE_URL: inv.endpoints.anthropic ?? VENDOR_BASE_URLS.anthropic,
      // Nothing but the model API: no telemetry, error reports, update checks or feature flags.
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: String(CLAUDE_MAX_RETRIES),
      CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD: '1',
    },
  }),
  parser: () => new ClaudeParser(),
};

// The events read, as Claude Code 2.1.329 prints them; every other event (and field) is ignored.
const Usage = z.object({
  input_tokens: z.number().nonnegative().optional(),
  output_tokens: z.number().nonnegative().optional(),
  cache_read_input_tokens: z.number().nonnegative().optional(),
  cache_creation_input_tokens: z.number().nonnegative().optional(),
});
const ResultEvent = z.object({
  type: z.literal('result'),
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  total_cost_usd: z.number().nonnegative().optional(),
  usage: Usage.optional(),
  api_error_status: z.number().nullish(),
  terminal_reason: z.string().nullish(),
});
type ResultEvent = z.infer<typeof ResultEvent>;
/** Printed before each retry of a failed API call: `{"subtype":"api_retry","error_status":401,"error":"authentication_failed",…}`. */
const RetryEvent = z.object({
  type: z.literal('system'),
  subtype: z.literal('api_retry'),
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  error_status: z.number().nullish(),
  error: z.string().nullish(),
});
type RetryEvent = z.infer<typeof RetryEvent>;
const AssistantEvent = z.object({
  type: z.literal('assistant'),
  message: z.object({ content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })) }),
});


const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ClaudeParser implements OutputParser {
  private lastText: string | undefined;
  private result_: ResultEvent | undefined;
  private lastRetry: RetryEvent | undefined;
  private refused: AgentFailure | undefined;
  private readonly joiner = new JsonLineJoiner();
  private sessionId: string | undefined;

  line(text: string, stream: 'out' | 'err'): 'stop' | void {
    if (stream === 'err') return;
    const whole = this.joiner.push(text);
    const ev = whole === undefined ? undefined : tryJson(whole);
    if (!ev) return;
    // Every event carries the session id (`system`/`init` first); only a UUID is kept.
    if (!this.sessionId && typeof ev.session_id === 'string' && SESSION_ID.test(ev.session_id)) this.sessionId = ev.session_id;
    if (ev.type === 'result') {
      const r = ResultEvent.safeParse(ev);
      if (r.success) this.result_ = r.data;
    } else if (ev.type === 'assistant') {
      const a = AssistantEvent.safeParse(ev);
      const texts = a.success ? a.data.message.content.flatMap((c) => (c.type === 'text' && c.text ? [c.text] : [])) : [];
      if (texts.length > 0) this.lastText = texts.join('\n');
    } else if (ev.type === 'system' && ev.subtype === 'api_retry') {
      const r = RetryEvent.safeParse(ev);
      if (!r.success) return;
      this.lastRetry = r.data;
      // A refused key stays refused: the CLI would retry it for minutes (or, with a
      // subscription token, wait for a renewal that never comes).
      if (r.data.error_status === 401 || r.data.error_status === 403) {
        this.refused = { code: 'provider_auth', message: `Claude Code: the API refused the key (${r.data.error_status} ${r.data.error ?? ''})`.trim() };
        return 'stop';
      }
    }
  }

  result(): AgentResult {
    const r = this.result_;
    const final = r?.result ?? this.lastText;
    const usage = r
      ? compactUsage({
          inputTokens: r.usage?.input_tokens,
          outputTokens: r.usage?.output_tokens,
          cacheReadTokens: r.usage?.cache_read_input_tokens,
          cacheWriteTokens: r.usage?.cache_creation_input_tokens,
          costUsd: r.total_cost_usd,
        })
      : undefined;
    const failure = this.failure();
    return {
      ...(final !== undefined ? { finalMessage: clip(final) } : {}),
      ...(usage ? { usage } : {}),
      ...(failure ? { failure } : {}),
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    };
  }

  private failure(): AgentFailure | undefined {
    if (this.refused) return this.refused;
    const r = this.result_;
    if (r) {
      if (r.is_error !== true) return undefined;
      const said = clip(r.result?.trim() || r.subtype || 'no message', 500);
      const api = r.terminal_reason === 'api_error' || typeof r.api_error_status === 'number';
      return { code: api ? apiFailureCode(r.api_error_status, said) : 'agent_failed', message: `Claude Code: ${said}` };
    }
    // No result at all (the CLI died or was stopped) while it was retrying an API error.
    if (this.lastRetry) {
      const { error_status: status, error } = this.lastRetry;
      return { code: apiFailureCode(status, error ?? ''), message: `Claude Code was retrying an API error (${status ?? 'no status'} ${error ?? ''})`.trim() };
    }
    return undefined;
  }

}

/** The code for an API error the CLI gave up on: by HTTP status, else by its words. */
function apiFailureCode(status: number | null | undefined, said: string): AgentFailureCode {
  if (status === 401 || status === 403) return 'provider_auth';
  if (status === 429) return 'provider_rate_limited';
  if (typeof status === 'number' && status >= 500) return 'provider_error';
  // A dropped connection, a 400 (credit balance, prompt too long): the provider's side still.
  return providerFailureCode(said) ?? 'provider_error';
}
