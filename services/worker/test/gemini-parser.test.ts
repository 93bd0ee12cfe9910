import { describe, expect, it } from '@jest/globals';
import { VENDOR_BASE_URLS } from '@outpost/shared';
import { GEMINI_DEFAULT_MODEL, GEMINI_SYSTEM_SETTINGS_PATH, GeminiParser, geminiAdapter, geminiSystemSettings } from '../src/agents/gemini.js';
import { STDIN_PROMPT } from '../src/agents/types.js';
import { LineSplitter } from '../src/line-splitter.js';

/** Feeds each stream's text through the worker's own splitter, as AgentProcess does. */
function parse(out: string, err = ''): { parser: GeminiParser; stops: number } {
  const parser = new GeminiParser();
  let stops = 0;
  for (const [text, stream] of [[err, 'err'], [out, 'out']] as const) {
    const splitter = new LineSplitter();
    for (const l of [...splitter.push(text), ...splitter.end()]) if (parser.line(l, stream) === 'stop') stops += 1;
  }
  return { parser, stops };
}
const pretty = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;
const tokens = (input: number, cached: number, candidates: number, thoughts = 0) => ({ input, prompt: input + cached, candidates, total: input + cached + candidates, cached, thoughts, tool: 0 });

// Output shapes as gemini 0.61.0 printed them against the scripted API (`--output-format json`).
describe('GeminiParser', () => {
  it('reads the final message and sums usage over every model the run used (uncached input, thoughts as output)', () => {
    const doc = {
      session_id: '30aa498b',
      response: 'All done.',
      stats: {
        models: {
          'gemini-3.5-flash-lite': { api: { totalRequests: 1 }, tokens: tokens(1234, 78, 56) },
          'gemini-3.1-pro-preview': { api: { totalRequests: 2 }, tokens: tokens(2468, 156, 112, 10) },
        },
        tools: { totalCalls: 1 },
      },
    };
    const { parser, stops } = parse(pretty(doc), 'YOLO mode is enabled. All tool calls will be automatically approved.\n{\n  "not": "ours"\n');
    expect(parser.result()).toEqual({ finalMessage: 'All done.', usage: { inputTokens: 3702, outputTokens: 178, cacheReadTokens: 234 } });
    expect(stops).toBe(0);
  });

  it('takes input as prompt minus cached when the CLI reports no input', () => {
    const doc = { response: 'ok', stats: { models: { m: { tokens: { prompt: 3200, candidates: 600, cached: 200 } } } } };
    expect(parse(pretty(doc)).parser.result().usage).toEqual({ inputTokens: 3000, outputTokens: 600, cacheReadTokens: 200 });
  });

  it('stops the CLI at the first refused key it logs, naming the API\'s words', () => {
    const err = [
      'Error when talking to Gemini API Full report available at: /tmp/x.json _ApiError: {"error":{"code":401,"message":"API key not valid. Please pass a valid API key.","status":"UNAUTHENTICATED"}}',
      '  status: 401',
      '}',
    ].join('\n');
    const { parser, stops } = parse('', err);
    expect(stops).toBe(1);
    expect(parser.result().failure).toEqual({ code: 'provider_auth', message: 'API 401: API key not valid. Please pass a valid API key.' });
  });

  it.each([
    [{ type: 'Error', message: '{"error":{"code":401,"message":"invalid x-api-key","status":"UNAUTHENTICATED"}}', code: 401 }, 'provider_auth', 'API 401: invalid x-api-key'],
    [{ type: 'RetryableQuotaError', message: 'Resource has been exhausted (e.g. check quota).', code: 429 }, 'provider_rate_limited', 'API 429: Resource has been exhausted (e.g. check quota).'],
    [{ type: 'Error', message: '{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}', code: 500 }, 'provider_error', 'API 500: An internal error has occurred.'],
    [{ type: 'TypeError', message: 'terminated' }, 'provider_error', 'terminated'],
    [{ type: 'FatalAuthenticationError', message: 'When using Vertex AI, you must specify either: …', code: 41 }, 'agent_failed', 'When using Vertex AI, you must specify either: …'],
  ])('the error document on stderr (%j) is a %s failure', (error, code, message) => {
    const { parser, stops } = parse('', `Attempt 1 failed with status 429. Retrying with backoff...\n${pretty({ session_id: 's', error })}`);
    expect(parser.result()).toEqual({ failure: { code, message } });
    expect(stops).toBe(0);
  });

  it('keeps bounded state: a document over 1 MiB is dropped, the next one still read', () => {
    const huge = `{\n  "response": "${'x'.repeat(1024 * 1024)}"\n}\n`;
    const { parser } = parse(`${huge}${pretty({ response: 'after' })}`);
    expect(parser.result()).toEqual({ finalMessage: 'after' });
  });
});

describe('geminiAdapter', () => {
  const home = '/work/run/home';

  it('runs headless in the clone, trusted, with the dispatch model or the CLI\'s own pro alias (never the router)', () => {
    expect(geminiAdapter.args({ task: 'do it', model: 'gemini-2.5-flash', home, endpoints: {} })).toEqual([
      '--prompt=do it', '--output-format', 'json', '--yolo', '--skip-trust', '--model', 'gemini-2.5-flash',
    ]);
    expect(geminiAdapter.args({ task: 'big', home, endpoints: {}, taskFile: '/t/task.txt' })).toEqual([
      `--prompt=${STDIN_PROMPT}`, '--output-format', 'json', '--yolo', '--skip-trust', '--model', GEMINI_DEFAULT_MODEL,
    ]);
  });

  it.each([
    [{}, VENDOR_BASE_URLS.gemini],
    [{ gemini: 'http://127.0.0.1:9/gw' }, 'http://127.0.0.1:9/gw'],
  ])('hands the endpoint over in every case (%j), and sets what a repository .env could otherwise set', (endpoints, url) => {
    const { env = {}, homeFiles = {} } = geminiAdapter.setup!({ task: 't', home, endpoints });
    expect(env).toMatchObject({
      GOOGLE_GEMINI_BASE_URL: url,
      GOOGLE_VERTEX_BASE_URL: url,
      GOOGLE_GENAI_USE_VERTEXAI: 'false',
      GOOGLE_API_KEY: '',
      HTTPS_PROXY: '',
      GEMINI_CLI_HOME: home,
      GEMINI_CLI_SYSTEM_SETTINGS_PATH: GEMINI_SYSTEM_SETTINGS_PATH,
      GEMINI_TELEMETRY_ENABLED: 'false',
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    });
    const settings = JSON.parse(homeFiles['.gemini/settings.json'] ?? '{}') as Record<string, Record<string, unknown>>;
    expect(settings).toMatchObject({ security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false }, general: { maxAttempts: 3 } });
  });

  it('system settings pin the auth type and turn off what could send the task elsewhere', () => {
    expect(JSON.parse(geminiSystemSettings())).toMatchObject({
      security: { auth: { selectedType: 'gemini-api-key', enforcedType: 'gemini-api-key' }, environmentVariableRedaction: { enabled: true } },
      telemetry: { enabled: false },
      tools: { sandbox: false },
      experimental: { gemmaModelRouter: { enabled: false } },
    });
  });
});
