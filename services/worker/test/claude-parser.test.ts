import { describe, expect, it } from '@jest/globals';
import { VENDOR_BASE_URLS } from '@outpost/shared';
import { ClaudeParser, claudeAdapter, CLAUDE_MAX_RETRIES } from '../src/agents/claude.js';
import { LineSplitter } from '../src/line-splitter.js';

/** Feeds stdout text through the worker's own splitter, as AgentProcess does. */
function parse(stdout: string): { parser: ClaudeParser; stops: number } {
  const parser = new ClaudeParser();
  const splitter = new LineSplitter();
  let stops = 0;
  for (const l of [...splitter.push(stdout), ...splitter.end()]) if (parser.line(l, 'out') === 'stop') stops += 1;
  return { parser, stops };
}
const lines = (...events: unknown[]) => events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n';

// Event shapes as Claude Code 2.1.329 printed them against the scripted API (fields trimmed).
const init = { type: 'system', subtype: 'init', session_id: 's', tools: ['Bash'], model: 'claude-opus-5-5', apiKeySource: 'ANTHROPIC_API_KEY' };
const toolCall = { type: 'assistant', message: { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'echo x > x.txt' } }] } };
const assistant = (text: string) => ({ type: 'assistant', message: { role: 'assistant', model: 'claude-opus-5-5', content: [{ type: 'text', text }] } });
const usage = { input_tokens: 2468, cache_creation_input_tokens: 18, cache_read_input_tokens: 156, output_tokens: 112, server_tool_use: { web_search_requests: 0 } };
const success = (result: string) => ({
  type: 'result',
  subtype: 'success',
  is_error: false,
  num_turns: 2,
  total_cost_usd: 0.012233200000000001,
  usage,
  terminal_reason: 'completed',
  api_error_status: null,
  result,
});
const retry = (status: number | null, error: string) => ({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 4, retry_delay_ms: 519, error_status: status, error });
const apiError = (status: number | null, type: string | undefined, result: string) => ({
  type: 'result',
  subtype: 'success',
  is_error: true,
  num_turns: 1,
  total_cost_usd: 0,
  usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  terminal_reason: 'api_error',
  api_error_status: status,
  ...(type ? { api_error_type: type } : {}),
  result,
});

describe('ClaudeParser', () => {
  it('reads the final message, usage with cache tokens, and the cost from the result event', () => {
    const { parser, stops } = parse(lines(init, toolCall, { type: 'user', message: { content: [{ type: 'tool_result' }] } }, assistant('Claude wrote x.txt.'), success('Claude wrote x.txt.')));
    expect(parser.result()).toEqual({
      finalMessage: 'Claude wrote x.txt.',
      usage: { inputTokens: 2468, outputTokens: 112, cacheReadTokens: 156, cacheWriteTokens: 18, costUsd: 0.012233200000000001 },
    });
    expect(stops).toBe(0);
  });

  it('stops the CLI at the first retry of a refused key (it would retry for minutes)', () => {
    const { parser, stops } = parse(lines(init, retry(401, 'authentication_failed')));
    expect(stops).toBe(1);
    expect(parser.result().failure).toEqual({ code: 'provider_auth', message: 'Claude Code: the API refused the key (401 authentication_failed)' });
  });

  it.each([
    [401, 'authentication_error', 'Invalid API key · Fix external API key', 'provider_auth'],
    [403, 'permission_error', 'Failed to authenticate. API Error: 403 Your API key does not have permission to use the specified resource.', 'provider_auth'],
    [429, 'rate_limit_error', 'API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit.', 'provider_rate_limited'],
    [500, 'api_error', 'API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment.', 'provider_error'],
    [529, 'overloaded_error', 'API Error: Repeated 529 Overloaded errors', 'provider_error'],
    [null, undefined, 'API Error: Connection to the API was lost (ECONNRESET). This is usually temporary — try again.', 'provider_error'],
  ] as const)('an API %s it gave up on is a failure (%s)', (status, type, said, code) => {
    const { parser, stops } = parse(lines(init, assistant(said), apiError(status, type, said)));
    expect(parser.result().failure).toEqual({ code, message: `Claude Code: ${said}` });
    expect(parser.result().finalMessage).toBe(said);
    expect(stops).toBe(0);
  });

  it('a result with is_error that is no API error is the agent failing', () => {
    const { parser } = parse(lines({ ...success(''), is_error: true, subtype: 'error_max_turns', terminal_reason: 'max_turns', result: undefined }));
    expect(parser.result().failure).toEqual({ code: 'agent_failed', message: 'Claude Code: error_max_turns' });
  });

  it('names the API error it was retrying when the CLI ends without a result', () => {
    const { parser } = parse(lines(init, retry(503, 'server_error')));
    expect(parser.result().failure).toEqual({ code: 'provider_error', message: 'Claude Code was retrying an API error (503 server_error)' });
  });

  it('a retry that then succeeds is no failure', () => {
    const { parser } = parse(lines(init, retry(529, 'overloaded'), assistant('ok'), success('ok')));
    expect(parser.result().failure).toBeUndefined();
  });

  it('joins a result line the worker cut into pieces', () => {
    const long = `${'日'.repeat(100_000)} the end`;
    const { parser } = parse(lines(init, { type: 'user', message: { content: [{ type: 'tool_result', content: 'u'.repeat(200_000) }] } }, success(long)));
    expect(parser.result().finalMessage?.startsWith('日日')).toBe(true);
    expect(parser.result().finalMessage).toHaveLength(16_000);
    expect(parser.result().usage?.costUsd).toBeCloseTo(0.0122332);
  });

  it('falls back to the last assistant text, and ignores stderr and non-JSON', () => {
    const parser = new ClaudeParser();
    parser.line(JSON.stringify(retry(401, 'authentication_failed')), 'err');
    parser.line('[claude-code:unrecognized_model] {"model":"m"}', 'out');
    parser.line(JSON.stringify(assistant('half way')), 'out');
    expect(parser.result()).toEqual({ finalMessage: 'half way' });
  });
});

describe('claudeAdapter', () => {
  const inv = { task: 'do it', home: '/h', endpoints: {} };
  it('loads only its own user settings and no MCP config of the repository, but the repository\'s CLAUDE.md', () => {
    const args = claudeAdapter.args({ ...inv, model: 'm1' });
    expect(args).toEqual(['-p', '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--add-dir', '.', '--setting-sources', 'user', '--strict-mcp-config', '--model', 'm1', '--', 'do it']);
    // A large task comes on stdin: no prompt argument.
    expect(claudeAdapter.args({ ...inv, taskFile: '/t/task.txt' }).includes('do it')).toBe(false);
  });
  it('always names the endpoint (the vendor default too), stops other traffic, and caps retries', () => {
    expect(claudeAdapter.setup?.(inv).env).toEqual({
      ANTHROPIC_BASE_URL: VENDOR_BASE_URLS.anthropic,
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: String(CLAUDE_MAX_RETRIES),
      CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD: '1',
    });
    expect(claudeAdapter.setup?.({ ...inv, endpoints: { anthropic: 'http://127.0.0.1:9' } }).env?.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:9');
  });
});
