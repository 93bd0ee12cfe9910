import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startScriptedModelApi, type ModelApi } from '../src/model-api/index.js';

const BASH = { name: 'Bash', description: 'run', input_schema: { type: 'object', properties: { command: { type: 'string' } } } };
const SCRIPT = [{ kind: 'shell', command: 'echo hi > a.txt' }, { kind: 'final', text: 'finished' }] as const;
const USAGE = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 5 };
/** The parts of a Messages response the tests read. */
interface Message {
  content: { type: string; text?: string; name?: string; input?: unknown }[];
  stop_reason: string;
  usage: Record<string, number>;
}

describe('scripted model API › Anthropic Messages', () => {
  let api: ModelApi;
  beforeAll(async () => {
    api = await startScriptedModelApi();
    api.script('k-msg', SCRIPT, USAGE);
    api.script('k-429', [{ kind: 'status', status: 429 }]);
    api.script('k-cut', [{ kind: 'cut' }]);
  });
  afterAll(async () => api?.close());

  const post = (key: string, body: Record<string, unknown>, path = '/v1/messages?beta=true') =>
    fetch(`${api.url}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
  const user = [{ role: 'user', content: [{ type: 'text', text: 'task text' }] }];

  it('calls Claude Code\'s Bash tool, then answers after its result; usage carries the cache tokens', async () => {
    const first = (await (await post('k-msg', { model: 'm1', max_tokens: 10, messages: user, tools: [BASH] })).json()) as Message;
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content[0]).toMatchObject({ type: 'tool_use', name: 'Bash', input: { command: 'echo hi > a.txt' } });
    expect(first.usage).toEqual({ input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 5 });
    const messages = [...user, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_scripted_1', content: 'ok' }] }];
    const second = (await (await post('k-msg', { model: 'm1', max_tokens: 10, messages, tools: [BASH] })).json()) as Message;
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'finished' }] });
    const rec = api.requestsFor('k-msg');
    expect(rec.map((r) => [r.protocol, r.path, r.model, r.stream, r.status])).toEqual([
      ['anthropic', '/v1/messages?beta=true', 'm1', false, 200],
      ['anthropic', '/v1/messages?beta=true', 'm1', false, 200],
    ]);
    expect(rec[0]!.text).toContain('task text');
  });

  it('answers a side request without the Bash tool with text, not a call it cannot make', async () => {
    const side = (await (await post('k-msg', { model: 'm1', max_tokens: 10, messages: user })).json()) as Message;
    expect(side).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'Run this: echo hi > a.txt' }] });
  });

  it('streams the events the SDK assembles: message_start, block start/delta/stop, message_delta, message_stop', async () => {
    const text = await (await post('k-msg', { model: 'm1', max_tokens: 10, messages: user, tools: [BASH], stream: true })).text();
    const events = text.split('\n\n').filter(Boolean).map((e) => ({ name: /^event: (.*)$/m.exec(e)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(e)![1]!) as Record<string, unknown> }));
    expect(events.map((e) => e.name)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(events.every((e) => e.data.type === e.name)).toBe(true);
    expect(events[2]!.data.delta).toEqual({ type: 'input_json_delta', partial_json: JSON.stringify({ command: 'echo hi > a.txt', description: 'Run the scripted command' }) });
    expect(events[4]!.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 20 } });
  });

  it('counts tokens', async () => {
    const res = await post('k-msg', { model: 'm1', messages: user }, '/v1/messages/count_tokens?beta=true');
    expect(await res.json()).toEqual({ input_tokens: 100 });
  });

  it('answers a status turn, and an unknown key, with Anthropic\'s error body', async () => {
    const limited = await post('k-429', { model: 'm1', max_tokens: 10, messages: user });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.any(String) } });
    const refused = await post('k-unknown', { model: 'm1', max_tokens: 10, messages: user });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  });

  it('cuts a streamed answer off midway', async () => {
    const res = await post('k-cut', { model: 'm1', max_tokens: 10, messages: user, stream: true });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(api.requestsFor('k-cut')[0]!.status).toBe(0);
  });
});
