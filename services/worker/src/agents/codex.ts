import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { assertNever, VENDOR_BASE_URLS } from '@outpost/shared';
import { z } from 'zod';
import { JsonLineJoiner } from './json-line-joiner.js';
import type { AgentAdapter, AgentFailure, AgentFailureCode, AgentInvocation, AgentResult, AgentSetup, OutputParser } from './types.js';
import { clip, compactUsage, providerFailureCode, tryJson } from './types.js';

/** The model provider we define for codex; the built-in `openai` one cannot be reconfigured. */
const PROVIDER_ID = 'outpost';

/**
 * Retries per request and per stream. Codex's defaults (4 and 5, nested) take ~25 s of 30
 * requests on a 500; these end a 429 in ~3 s and a 500 in ~4 s, yet ride out one blip.
 */
const REQUEST_MAX_RETRIES = 2;
const STREAM_MAX_RETRIES = 2;

/** The variable codex reads the key from (the worker sets it from the tenant's `openai_api_key`). */
const KEY_ENV = 'OPENAI_API_KEY';

/** A TOML basic string (JSON's escapes are TOML's). */
const toml = (s: string) => JSON.stringify(s);

/**
 * How codex reaches the model, as `-c` overrides (they beat every config layer). A provider of
 * our own, because codex ignores OPENAI_BASE_URL and the built-in `openai` provider can be neither
 * retuned nor kept off its WebSocket transport (seven attempts, ~6 s, before it falls back to HTTP).
 */
function providerOverrides(inv: AgentInvocation): string[] {
  const baseUrl = inv.endpoints.openai ?? VENDOR_BASE_URLS.openai;
  const table = [
    `name = ${toml('Outpost')}`,
    `base_url = ${toml(baseUrl)}`,
    `env_key = ${toml(KEY_ENV)}`,
    `wire_api = ${toml('responses')}`,
    `request_max_retries = ${REQUEST_MAX_RETRIES}`,
    `stream_max_retries = ${STREAM_MAX_RETRIES}`,
    'supports_websockets = false',
  ].join(', ');
  return ['-c', `model_provider=${toml(PROVIDER_ID)}`, '-c', `model_providers.${PROVIDER_ID}={ ${table} }`];
}

/**
 * `$CODEX_HOME/config.toml`: nothing phoned home (analytics metrics to ab.chatgpt.com, plugin
 * syncs from github.com and chatgpt.com), no endless "waiting for network" when the endpoint is
 * down, and the key kept out of the environment of the commands the model runs.
 */
export function codexConfig(): string {
  return [
    '# Written by the Outpost worker for one run.',
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    'remote_plugin = false',
    'unbounded_connection_retries = false',
    '',
    '[shell_environment_policy]',
    `exclude = [${toml(KEY_ENV)}, ${toml('CODEX_API_KEY')}]`,
    '',
  ].join('\n');
}

/**
 * Codex CLI headless: `codex exec --json`. JSONL events on stdout: `item.completed` items of type
 * `agent_message` carry the answer, `turn.completed` the usage, `error` the CLI's retries
 * ("Reconnecting... 1/2 (…)") and `turn.failed` the error that ended the run (exit 1).
 *
 * A repository cannot move the endpoint or reach the key: codex skips an untrusted project's
 * `.codex/config.toml` in exec mode (and even a trusted one may not set providers or base URLs),
 * it never reads a `.env`, and CODEX_HOME is pinned to the run's own HOME.
 */
export const codexAdapter: AgentAdapter = {
  name: 'codex',
  args: (inv) => [
    'exec',
    // `codex exec resume <id> <prompt>` (0.169.0) takes the same options after `resume`.
    ...(inv.resumeSessionId ? ['resume'] : []),
    '--json',
    '--skip-git-repo-check',
    '--dangerously-bypass-approvals-and-sandbox',
    ...providerOverrides(inv),
    ...(inv.model ? ['--model', inv.model] : []),
    ...(inv.resumeSessionId ? [inv.resumeSessionId] : []),
    // `-` makes codex read the prompt from stdin.
    ...(inv.taskFile ? ['-'] : ['--', inv.task]),
  ],
  largeTask: 'stdin',
  probeArgs: ['--version'],
  setup: (inv): AgentSetup => ({
    env: { CODEX_HOME: path.join(inv.home, '.codex') },
    homeFiles: { '.codex/config.toml': codexConfig() },
  }),
  parser: () => new CodexParser(),
  session: {
    // Codex keeps a session as ~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl and finds it by id.
    files: async (home, id) => {
      const root = path.join(home, '.codex', 'sessions');
      const all = (await readdir(root, { recursive: true }).catch(() => [] as string[])).map((f) => f.split(path.sep).join('/'));
      return all.filter((f) => f.endsWith(`-${id}.jsonl`)).map((f) => `.codex/sessions/${f}`);
    },
    restorePath: (rel) => (/^\.codex\/sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-[\w.:-]+\.jsonl$/.test(rel) ? rel : undefined),
  },
};

const Usage = z.object({
  input_tokens: z.number().nonnegative().optional(),
  cached_input_tokens: z.number().nonnegative().optional(),
  cache_write_input_tokens: z.number().nonnegative().optional(),
  output_tokens: z.number().nonnegative().optional(),
});

/** The events read; everything else codex prints (items started, commands, reasoning) is only logged. */
const CodexEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('item.completed'), item: z.object({ type: z.string(), text: z.string().optional() }).loose() }),
  z.object({ type: z.literal('turn.completed'), usage: Usage.optional() }),
  z.object({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.object({ type: z.literal('turn.failed'), error: z.object({ message: z.string() }).loose().optional() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

/** "Reconnecting... 1/2 (unexpected status 401 …)": a retry of codex's own, and why. */
const RETRY = /^Reconnecting\.\.\.[^(]*\((.*)\)\s*$/s;

/**
 * Codex's words for a provider failure that name no status: a 500 becomes "We're currently
 * experiencing high demand", a dropped stream or a refused connection "stream disconnected" or
 * "Connection failed".
 */
const PROVIDER_DOWN = /experiencing high demand|stream disconnected|connection failed|error sending request|transport error/i;

/** A ChatGPT plan's limit, as codex words it ("You've hit your usage limit"). */
const PLAN_LIMIT = /usage limit/i;

/** A failure code for codex's message: the shared table first (the request URL left out: its port could read as a status). */
export function codexFailureCode(message: string): AgentFailureCode {
  const text = message.replace(/,?\s*url: \S+/g, '');
  const shared = providerFailureCode(text);
  if (shared) return shared;
  if (PLAN_LIMIT.test(text)) return 'provider_rate_limited';
  return PROVIDER_DOWN.test(text) ? 'provider_error' : 'agent_failed';
}


const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class CodexParser implements OutputParser {
  private readonly joiner = new JsonLineJoiner();
  private finalMessage: string | undefined;
  private input = 0;
  private cached = 0;
  private cacheWrite: number | undefined;
  private output = 0;
  private sawUsage = false;
  private failure: AgentFailure | undefined;
  private sessionId: string | undefined;

  line(text: string, stream: 'out' | 'err'): 'stop' | void {
    if (stream === 'err') return;
    const whole = this.joiner.push(text);
    if (whole === undefined) return;
    const json = tryJson(whole);
    if (!json) return;
    const parsed = CodexEvent.safeParse(json);
    if (!parsed.success) return;
    const ev = parsed.data;
    switch (ev.type) {
      case 'item.completed':
        if (ev.item.type === 'agent_message' && ev.item.text !== undefined) this.finalMessage = clip(ev.item.text);
        return;
      case 'turn.completed':
        if (ev.usage) this.addUsage(ev.usage);
        return;
      case 'thread.started':
        if (SESSION_ID.test(ev.thread_id)) this.sessionId ??= ev.thread_id;
        return;
      case 'error': {
        // A retry codex will make: only a refused key is worth stopping it for.
        const why = RETRY.exec(ev.message)?.[1] ?? ev.message;
        if (codexFailureCode(why) === 'provider_auth') return this.fail('provider_auth', why);
        return;
      }
      case 'turn.failed': {
        const message = ev.error?.message ?? 'codex reported a failed turn';
        const code = codexFailureCode(message);
        return this.fail(code, message);
      }
      default:
        return assertNever(ev);
    }
  }

  result(): AgentResult {
    const usage = this.sawUsage
      ? compactUsage({ inputTokens: this.input, outputTokens: this.output, cacheReadTokens: this.cached, cacheWriteTokens: this.cacheWrite })
      : undefined;
    return {
      ...(this.finalMessage !== undefined ? { finalMessage: this.finalMessage } : {}),
      ...(usage ? { usage } : {}),
      ...(this.failure ? { failure: this.failure } : {}),
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    };
  }


  /** Keeps the first failure (the cause); a refused key stops the CLI at once. */
  private fail(code: AgentFailureCode, message: string): 'stop' | void {
    this.failure ??= { code, message: clip(message, 1000) };
    return code === 'provider_auth' ? 'stop' : undefined;
  }

  /**
   * Codex counts as OpenAI does: `input_tokens` is all input, the cached and cache-written tokens
   * are parts of it. Reported as Anthropic counts (and the other adapters): input is the uncached part.
   */
  private addUsage(u: z.infer<typeof Usage>): void {
    const cached = u.cached_input_tokens ?? 0;
    const written = u.cache_write_input_tokens ?? 0;
    this.sawUsage = true;
    this.input += Math.max(0, (u.input_tokens ?? 0) - cached - written);
    this.cached += cached;
    this.output += u.output_tokens ?? 0;
    // Older codex versions print no cache writes: unknown, not zero.
    if (u.cache_write_input_tokens !== undefined) this.cacheWrite = (this.cacheWrite ?? 0) + written;
  }
}
