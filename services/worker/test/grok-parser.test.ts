import { describe, expect, it } from '@jest/globals';
import { VENDOR_BASE_URLS } from '@outpost/shared';
import { GrokParser, grokAdapter, GROK_DEFAULT_MODEL } from '../src/agents/grok.js';
import { LineSplitter } from '../src/line-splitter.js';

/** Feeds stdout text through the worker's own splitter, as AgentProcess does. */
function parse(stdout: string): { parser: GrokParser; stops: number } {
  const parser = new GrokParser();
  const splitter = new LineSplitter();
  let stops = 0;
  for (const l of [...splitter.push(stdout), ...splitter.end()]) if (parser.line(l, 'out') === 'stop') stops += 1;
  return { parser, stops };
}
const lines = (...msgs: unknown[]) => msgs.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('\n') + '\n';

// Output shapes as grok-cli 0.0.34 printed them against the scripted API.
describe('GrokParser', () => {
  it('takes the last assistant message without tool calls as the final message', () => {
    const { parser, stops } = parse(
      lines(
        '✅ Base URL saved to ~/.grok/user-settings.json',
        { role: 'user', content: 'make a file' },
        { role: 'assistant', content: 'Using tools to help you...', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'bash', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'HTTP 401 Unauthorized from curl' },
        { role: 'assistant', content: 'All done here.' },
      ),
    );
    expect(parser.result()).toEqual({ finalMessage: 'All done here.' });
    expect(stops).toBe(0);
  });

  it.each([
    ['Grok API error: 401 Incorrect API key provided.', 'provider_auth'],
    ['Grok API error: 429 Rate limit reached for requests. Please try again later.', 'provider_rate_limited'],
    ['Grok API error: 500 The server had an error while processing your request.', 'provider_error'],
    ['Grok API error: terminated', 'agent_failed'],
    ['No response from Grok', 'agent_failed'],
  ])('an API error the CLI answers as its message (%s) is a %s failure, and stops the CLI', (said, code) => {
    const { parser, stops } = parse(lines({ role: 'user', content: 'x' }, { role: 'assistant', content: `Sorry, I encountered an error: ${said}` }));
    expect(parser.result().failure).toEqual({ code, message: `grok: ${said}` });
    expect(stops).toBe(1);
  });

  it('a run that used up its tool rounds failed', () => {
    const { parser } = parse(lines({ role: 'assistant', content: 'Maximum tool execution rounds reached. Stopping to prevent infinite loops.' }));
    expect(parser.result().failure?.code).toBe('agent_failed');
  });

  it('joins a JSON line the worker cut into pieces', () => {
    const long = `${'日'.repeat(100_000)} the end`;
    const { parser } = parse(lines({ role: 'user', content: 'u'.repeat(200_000) }, { role: 'assistant', content: long }));
    expect(parser.result().finalMessage?.startsWith('日日')).toBe(true);
    expect(parser.result().finalMessage?.length).toBe(16_000);
  });

  it('ignores stderr and reads usage should the CLI print one', () => {
    const parser = new GrokParser();
    parser.line('{"role":"assistant","content":"Sorry, I encountered an error: 401"}', 'err');
    parser.line('{"role":"assistant","content":"ok","usage":{"prompt_tokens":5,"completion_tokens":2}}', 'out');
    expect(parser.result()).toEqual({ finalMessage: 'ok', usage: { inputTokens: 5, outputTokens: 2 } });
  });
});

describe('grokAdapter', () => {
  const inv = { task: 'do it', home: '/h', endpoints: {} };

  it('always hands grok an endpoint and a model, the vendor defaults too, and never the key', () => {
    const setup = grokAdapter.setup!(inv);
    expect(setup.env).toMatchObject({ GROK_BASE_URL: VENDOR_BASE_URLS.xai, GROK_MODEL: GROK_DEFAULT_MODEL, MORPH_API_KEY: '' });
    expect(grokAdapter.args(inv)).toEqual(['--prompt=do it', '--base-url', VENDOR_BASE_URLS.xai, '--model', GROK_DEFAULT_MODEL]);
    const custom = { ...inv, model: 'grok-4', endpoints: { xai: 'http://127.0.0.1:9/v1' } };
    expect(grokAdapter.setup!(custom).env).toMatchObject({ GROK_BASE_URL: 'http://127.0.0.1:9/v1', GROK_MODEL: 'grok-4' });
    expect(JSON.parse(grokAdapter.setup!(custom).homeFiles!['.grok/user-settings.json']!)).toMatchObject({ baseURL: 'http://127.0.0.1:9/v1' });
    expect(grokAdapter.args(custom).join(' ')).not.toMatch(/key/i);
  });

  it('puts a large task into ~/.grok/GROK.md and names the task file in the prompt', () => {
    const big = { ...inv, task: 'big task', taskFile: '/ws/tmp/task.txt' };
    expect(grokAdapter.largeTask).toBe('file');
    expect(grokAdapter.setup!(big).homeFiles!['.grok/GROK.md']).toBe('big task');
    expect(grokAdapter.args(big)[0]).toContain('/ws/tmp/task.txt');
    expect(grokAdapter.setup!(inv).homeFiles!['.grok/GROK.md']).toBeUndefined();
  });
});
