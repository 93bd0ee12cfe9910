import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VENDOR_BASE_URLS } from '@outpost/shared';
import type { AgentAdapter, AgentFailure, AgentFailureCode, AgentInvocation, AgentResult, AgentSetup, OutputParser } from './types.js';
import { clip, compactUsage, num, obj, providerFailureCode, STDIN_PROMPT } from './types.js';

/** Largest JSON document kept for parsing; anything beyond is ignored (the log still has it). */
const MAX_JSON = 1024 * 1024;

/**
 * The model when the dispatch names none. Gemini CLI's own default, `auto`, first asks a router
 * model which model to use, and that call retries 5 times over about a minute on a 429 or 500
 * whatever the settings say; an alias is the CLI's own latest pro model without the router.
 */
export const GEMINI_DEFAULT_MODEL = 'pro';

/**
 * Outpost's system settings for Gemini CLI: the one layer above a repository's
 * `.gemini/settings.json` (settings the environment cannot override, such as telemetry sent to a
 * host the repository names, are only beaten here). The CLI reads the file only when it and every
 * directory above it are owned by root and writable by no one else, so it can exist only where
 * the worker runs as root; a path of our own keeps other Gemini CLI users on the host unaffected.
 */
export const GEMINI_SYSTEM_SETTINGS_PATH = '/etc/outpost/gemini-settings.json';

/** Attempts per request to the main model: a 429 or 500 ends the run after about 15 s of backoff (5 s, 10 s). */
const MAX_ATTEMPTS = 3;

/** Settings of ours: API-key auth (with a base URL the CLI otherwise refuses to start), nothing phoned home. */
function settings(): Record<string, unknown> {
  return {
    security: {
      auth: { selectedType: 'gemini-api-key' },
      // The key stays out of the environment of the commands the model runs.
      environmentVariableRedaction: { enabled: true },
    },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false, logPrompts: false },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: MAX_ATTEMPTS },
  };
}

/** The system settings: ours, plus what a repository could otherwise use to send the task elsewhere turned off. */
export function geminiSystemSettings(): string {
  const s = settings();
  const security = { ...obj(s.security), auth: { selectedType: 'gemini-api-key', enforcedType: 'gemini-api-key' } };
  const extra = { tools: { sandbox: false }, experimental: { gemmaModelRouter: { enabled: false } } };
  return `${JSON.stringify({ ...s, security, ...extra }, null, 2)}\n`;
}

/**
 * Writes the system settings file when the worker runs as root and it is missing or stale
 * (atomically: concurrent runs write the same bytes). Otherwise the environment below still keeps
 * every endpoint, and a repository that picks another auth type only makes its run fail.
 */
function ensureSystemSettings(file = GEMINI_SYSTEM_SETTINGS_PATH): void {
  if (process.getuid?.() !== 0) return;
  const want = geminiSystemSettings();
  try {
    if (existsSync(file) && readFileSync(file, 'utf8') === want) return;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, want, { mode: 0o644 });
    renameSync(tmp, file);
  } catch {
    // A read-only /etc: the run goes on with the environment's protection only.
  }
}

/**
 * The environment that wins over a repository's `.env` and `.gemini/.env`: Gemini CLI loads the
 * first of those it finds (even in the repository's parent directories) but never overrides a
 * variable already set. So every variable that picks an endpoint, a proxy, an auth type or a
 * credential is set here, empty when unused.
 */
function environment(inv: AgentInvocation): Record<string, string> {
  const endpoint = inv.endpoints.gemini ?? VENDOR_BASE_URLS.gemini;
  return {
    GOOGLE_GEMINI_BASE_URL: endpoint,
    GOOGLE_VERTEX_BASE_URL: endpoint,
    CODE_ASSIST_ENDPOINT: 'https://cloudcode-pa.googleapis.com',
    GOOGLE_GENAI_USE_VERTEXAI: 'false',
    GOOGLE_GENAI_USE_GCA: 'false',
    GEMINI_CLI_USE_COMPUTE_ADC: 'false',
    GOOGLE_API_KEY: '',
    GOOGLE_CLOUD_PROJECT: '',
    GOOGLE_CLOUD_LOCATION: '',
    GOOGLE_APPLICATION_CREDENTIALS: '',
    METADATA_SERVER_DETECTION: 'none',
    HTTPS_PROXY: '',
    https_proxy: '',
    HTTP_PROXY: '',
    http_proxy: '',
    NODE_TLS_REJECT_UNAUTHORIZED: '1',
    GOOGLE_GENAI_API_VERSION: 'v1beta',
    GEMINI_API_KEY_AUTH_MECHANISM: 'x-goog-api-key',
    GEMINI_CLI_CUSTOM_HEADERS: '',
    // Settings are read again during the run, after the .env files are loaded: pin their paths too.
    GEMINI_CLI_HOME: inv.home,
    GEMINI_CLI_SYSTEM_SETTINGS_PATH: GEMINI_SYSTEM_SETTINGS_PATH,
    GEMINI_CLI_SYSTEM_DEFAULTS_PATH: path.join(path.dirname(GEMINI_SYSTEM_SETTINGS_PATH), 'gemini-system-defaults.json'),
    // A fresh HOME trusts no folder, and headless in an untrusted folder the CLI exits 55.
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
    GEMINI_TELEMETRY_ENABLED: 'false',
    GEMINI_SANDBOX: 'false',
    // One process instead of a launcher that relaunches itself with a larger heap.
    GEMINI_CLI_NO_RELAUNCH: 'true',
  };
}

/**
 * Gemini CLI headless: `gemini --prompt=… --output-format json`. On success stdout is one JSON
 * document `{response, stats: {models: {<model>: {tokens: {input, prompt, candidates, cached,
 * thoughts}}}}}`; on failure stderr ends with `{error: {type, message, code}}` and the exit code
 * is the HTTP status modulo 256 (401 → 145, 429 → 173, 500 → 244).
 */
export const geminiAdapter: AgentAdapter = {
  name: 'gemini',
  // Gemini puts stdin before the prompt in headless mode.
  args: ({ task, model, taskFile }) => [
    `--prompt=${taskFile ? STDIN_PROMPT : task}`,
    '--output-format',
    'json',
    '--yolo',
    '--skip-trust',
    '--model',
    model ?? GEMINI_DEFAULT_MODEL,
  ],
  largeTask: 'stdin',
  probeArgs: ['--version'],
  setup: (inv): AgentSetup => {
    ensureSystemSettings();
    return { env: environment(inv), homeFiles: { '.gemini/settings.json': `${JSON.stringify(settings(), null, 2)}\n` } };
  },
  parser: () => new GeminiParser(),
};

/** A refused key as the CLI logs it (`_ApiError: {"error":{"code":401,…`), or Google's own words for a bad key. */
const REFUSED_KEY = /ApiError: \{"error":\{"code":40[13]\b|API_KEY_INVALID|API key not valid/;

/** Collects a pretty-printed top-level JSON document: from a line `{` to a line `}`. */
class JsonDocument {
  private buf: string | undefined;

  /** The document, once its last line arrives. */
  push(text: string): Record<string, unknown> | undefined {
    if (text === '{') this.buf = '';
    if (this.buf === undefined) return undefined;
    if (this.buf.length + text.length > MAX_JSON) {
      this.buf = undefined;
      return undefined;
    }
    this.buf += `${text}\n`;
    if (text !== '}') return undefined;
    const raw = this.buf;
    this.buf = undefined;
    try {
      return obj(JSON.parse(raw));
    } catch {
      return undefined;
    }
  }
}

export class GeminiParser implements OutputParser {
  private readonly docs = { out: new JsonDocument(), err: new JsonDocument() };
  private res: AgentResult = {};
  private stopped = false;

  line(text: string, stream: 'out' | 'err'): 'stop' | void {
    const doc = this.docs[stream].push(text);
    if (doc) this.read(doc);
    // A refused key: the CLI does not retry it, but nothing that follows can mend it either.
    if (stream === 'err' && !this.stopped && REFUSED_KEY.test(text)) {
      this.stopped = true;
      this.res.failure ??= { code: 'provider_auth', message: describe(text) };
      return 'stop';
    }
  }

  result(): AgentResult {
    return this.res;
  }

  private read(doc: Record<string, unknown>): void {
    const error = obj(doc.error);
    if (error) {
      this.res.failure = failureOf(error);
      return;
    }
    const usage = usageOf(obj(obj(doc.stats)?.models));
    this.res = {
      ...this.res,
      ...(typeof doc.response === 'string' ? { finalMessage: clip(doc.response) } : {}),
      ...(usage ? { usage } : {}),
    };
  }
}

/** Node's words for an answer cut off midway (undici's `terminated`) or a connection that failed. */
const CUT_OFF = /^(terminated|fetch failed)$|ECONNRESET|ECONNREFUSED|socket hang up|ERR_STREAM_PREMATURE_CLOSE/i;

/** The CLI's `error` object: its code is the HTTP status when the API answered with one. */
function failureOf(error: Record<string, unknown>): AgentFailure {
  const raw = typeof error.message === 'string' ? error.message : JSON.stringify(error);
  // Otherwise the code is the CLI's own exit code (41: auth settings, 42: input, 52: config, 55: untrusted folder).
  const status = httpStatus(num(error.code));
  const byStatus: AgentFailureCode | undefined =
    status === 401 || status === 403 ? 'provider_auth' : status === 429 ? 'provider_rate_limited' : status !== undefined && status >= 500 ? 'provider_error' : undefined;
  const cut = CUT_OFF.test(raw) ? 'provider_error' : undefined;
  return { code: byStatus ?? providerFailureCode(raw) ?? cut ?? 'agent_failed', message: describe(raw, status) };
}

function httpStatus(code: number | undefined): number | undefined {
  return code !== undefined && code >= 100 && code < 600 ? code : undefined;
}

/** `API 401: invalid x-api-key` from the API's error body inside the CLI's text, else the text. */
function describe(text: string, status = httpStatus(num(Number(/"code":\s*(\d{3})/.exec(text)?.[1])))): string {
  const inner = /"message":\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
  return clip(`${status !== undefined ? `API ${status}: ` : ''}${inner ?? text.trim()}`, 500);
}

/**
 * Token counts summed over every model the run used (router and main). `input` is the uncached
 * part of `prompt`; thoughts are billed as output.
 */
function usageOf(models: Record<string, unknown> | undefined): AgentResult['usage'] {
  if (!models) return undefined;
  let input = 0;
  let output = 0;
  let cached = 0;
  let saw = false;
  for (const m of Object.values(models)) {
    const t = obj(obj(m)?.tokens);
    if (!t) continue;
    saw = true;
    const c = num(t.cached) ?? 0;
    input += num(t.input) ?? Math.max(0, (num(t.prompt) ?? 0) - c);
    output += (num(t.candidates) ?? 0) + (num(t.thoughts) ?? 0);
    cached += c;
  }
  return saw ? compactUsage({ inputTokens: input, outputTokens: output, cacheReadTokens: cached }) : undefined;
}
