import { describe, expect, it } from '@jest/globals';
import { VENDOR_BASE_URLS } from '@outpost/shared';
import { codexAdapter, codexConfig, codexFailureCode } from '../src/agents/codex.js';
import type { AgentInvocation } from '../src/agents/types.js';
import { LineSplitter } from '../src/line-splitter.js';

/** Feeds stdout text through the worker's own splitter, as AgentProcess does; counts the stops. */
function parse(stdout: string) {
  const parser = codexAdapter.parser();
  const splitter = new LineSplitter();
  let stops = 0;
  for (const l of [...splitter.push(stdout), ...splitter.end()]) if (parser.line(l, 'out') === 'stop') stops += 1;
  return { result: parser.result(), stops };
}
const lines = (...events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const URL_TAIL = ', url: http://127.0.0.1:40345/v1/responses';
const START = [{ type: 'thread.started', thread_id: 't1' }, { type: 'turn.started' }];
const failed = (message: string) => ({ type: 'turn.failed', error: { message } });
const retry = (n: number, why: string) => ({ type: 'error', message: `Reconnecting... ${n}/2 (${why})` });

// Output as codex 0.169.0 printed it against the scripted API.
describe('codex parser', () => {
  it('takes the last agent message and sums usage, the uncached input apart from the cached and cache-written', () => {
    const { result, stops } = parse(
      lines(
        ...START,
        { type: 'item.completed', item: { id: 'item_0', type: 'error', message: 'Falling back from WebSockets to HTTPS transport.' } },
        { type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: "/bin/bash -c 'echo hi'", aggregated_output: 'hi\n', exit_code: 0, status: 'completed' } },
        { type: 'item.completed', item: { id: 'item_2', type: 'agent_message', text: 'first' } },
        { type: 'item.completed', item: { id: 'item_3', type: 'agent_message', text: 'all done' } },
        { type: 'turn.completed', usage: { input_tokens: 2642, cached_input_tokens: 156, cache_write_input_tokens: 18, output_tokens: 112, reasoning_output_tokens: 0 } },
        { type: 'turn.completed', usage: { input_tokens: 100, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 1 } },
      ),
    );
    expect(result).toEqual({ finalMessage: 'all done', usage: { inputTokens: 2468 + 100, outputTokens: 113, cacheReadTokens: 156, cacheWriteTokens: 18 } });
    expect(stops).toBe(0);
  });

  it('reports no cache writes when codex prints none (older versions)', () => {
    const { result } = parse(lines({ type: 'turn.completed', usage: { input_tokens: 2500, cached_input_tokens: 500, output_tokens: 400 } }));
    expect(result.usage).toEqual({ inputTokens: 2000, outputTokens: 400, cacheReadTokens: 500 });
  });

  it('stops codex at the first retry of a refused key', () => {
    const said = `unexpected status 401 Unauthorized: Incorrect API key provided${URL_TAIL}`;
    const { result, stops } = parse(lines(...START, retry(1, said), retry(2, said), { type: 'error', message: said }, failed(said)));
    expect(result.failure).toEqual({ code: 'provider_auth', message: said });
    expect(stops).toBe(4);
  });

  it.each([
    ['exceeded retry limit, last status: 429 Too Many Requests', 'provider_rate_limited'],
    ['We’re currently experiencing high demand, which may cause temporary errors.', 'provider_error'],
    [`unexpected status 503 Service Unavailable: The server had an error${URL_TAIL}`, 'provider_error'],
    ['stream disconnected before completion: Transport error: network error: error decoding response body', 'provider_error'],
    ['Connection failed: error sending request', 'provider_error'],
    ["You've hit your usage limit. Upgrade to Pro or try again later.", 'provider_rate_limited'],
    [`unexpected status 400 Bad Request: model not found${URL_TAIL}`, 'agent_failed'],
  ] as const)('a turn that failed with "%s" is %s, and codex ends by itself', (said, code) => {
    const { result, stops } = parse(lines(...START, retry(1, said), retry(2, said), { type: 'error', message: said }, failed(said)));
    expect(result.failure).toEqual({ code, message: said });
    expect(stops).toBe(0);
  });

  it('reads no status in the request URL', () => {
    expect(codexFailureCode('stream disconnected before completion, url: http://127.0.0.1:429/v1/responses')).toBe('provider_error');
    expect(codexFailureCode('unexpected status 418, url: http://127.0.0.1:401/v1/responses')).toBe('agent_failed');
  });

  it('joins an answer the worker cut into pieces', () => {
    const long = `${'日'.repeat(100_000)} the end`;
    const { result } = parse(lines({ type: 'item.completed', item: { id: 'i', type: 'command_execution', aggregated_output: 'o'.repeat(200_000) } }, { type: 'item.completed', item: { id: 'j', type: 'agent_message', text: long } }));
    expect(result.finalMessage?.startsWith('日日')).toBe(true);
    expect(result.finalMessage?.length).toBe(16_000);
  });

  it('ignores stderr, and lines that are not its events', () => {
    const parser = codexAdapter.parser();
    parser.line(JSON.stringify(failed('unexpected status 401 Unauthorized')), 'err');
    parser.line('Reading additional input from stdin...', 'out');
    parser.line('{"type":"turn.completed","usage":"nonsense"}', 'out');
    parser.line('{"type":"item.completed","item":{"type":"agent_message","text":"ok"}}', 'out');
    expect(parser.result()).toEqual({ finalMessage: 'ok' });
  });
});

describe('codex adapter', () => {
  const inv = (o: Partial<AgentInvocation> = {}): AgentInvocation => ({ task: 'do it', home: '/w/home', endpoints: {}, ...o });
  /** The `-c key=value` override for `key`. */
  const override = (args: string[], key: string) => {
    const i = args.findIndex((a) => a.startsWith(`${key}=`));
    expect(args[i - 1]).toBe('-c');
    return args[i];
  };

  it('hands codex a provider of ours on the configured endpoint, HTTP only, with few retries', () => {
    const args = codexAdapter.args(inv({ endpoints: { openai: 'http://127.0.0.1:9/v1' }, model: 'gpt-x' }));
    expect(args.slice(0, 4)).toEqual(['exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox']);
    expect(override(args, 'model_provider')).toBe('model_provider="outpost"');
    expect(override(args, 'model_providers.outpost')).toBe(
      'model_providers.outpost={ name = "Outpost", base_url = "http://127.0.0.1:9/v1", env_key = "OPENAI_API_KEY", wire_api = "responses", request_max_retries = 2, stream_max_retries = 2, supports_websockets = false }',
    );
    expect(args.slice(-4)).toEqual(['--model', 'gpt-x', '--', 'do it']);
  });

  it("uses OpenAI's own endpoint when none is configured, and reads a large task from stdin", () => {
    const args = codexAdapter.args(inv({ taskFile: '/w/tmp/task.txt' }));
    expect(override(args, 'model_providers.outpost')).toContain(`base_url = "${VENDOR_BASE_URLS.openai}"`);
    expect(args.at(-1)).toBe('-');
    expect(args).not.toContain('do it');
  });

  it('pins CODEX_HOME to the run\'s HOME and writes its config there', () => {
    expect(codexAdapter.setup!(inv())).toEqual({ env: { CODEX_HOME: '/w/home/.codex' }, homeFiles: { '.codex/config.toml': codexConfig() } });
    const config = codexConfig();
    expect(config).toContain('[analytics]\nenabled = false');
    expect(config).toContain('unbounded_connection_retries = false');
    expect(config).toContain('exclude = ["OPENAI_API_KEY", "CODEX_API_KEY"]');
  });
});
