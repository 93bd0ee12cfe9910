import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startScriptedModelApi, type ModelApi } from '../src/model-api/index.js';
import { offeredTools, shellCall } from '../src/model-api/openai-responses.js';

const SCRIPT = [{ kind: 'shell', command: 'echo hi > a.txt' }, { kind: 'final', text: 'finished' }] as const;
/** Codex 0.169.0's tools for its default model: code mode, one freeform `exec` in the `functions` namespace. */
const CODE_MODE = { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'custom', name: 'exec' }, { type: 'function', name: 'wait' }] }] };
/** Its tools for a model it does not know: `exec_command` itself. */
const DIRECT = { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'function', name: 'exec_command' }] }] };
const USER = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'task text' }] };

interface SseEvent {
  type: string;
  item?: Record<string, unknown>;
  response?: { usage?: unknown };
}

describe('scripted model API › OpenAI Responses', () => {
  let api: ModelApi;
  beforeAll(async () => {
    api = await startScriptedModelApi();
    api.script('k-resp', SCRIPT, { inputTokens: 100, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 5 });
    api.script('k-429', [{ kind: 'status', status: 429 }]);
    api.script('k-cut', [{ kind: 'cut' }]);
  });
  afterAll(async () => api?.close());

  const post = (key: string, body: Record<string, unknown>) =>
    fetch(`${api.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const events = async (res: Response): Promise<SseEvent[]> =>
    (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as SseEvent);

  it("runs the command through codex's code-mode exec, then answers after its result, with OpenAI-shaped usage", async () => {
    const first = await events(await post('k-resp', { model: 'm1', stream: true, input: [CODE_MODE, USER] }));
    expect(first.map((e) => e.type)).toEqual(['response.created', 'response.output_item.added', 'response.output_item.done', 'response.completed']);
    const call = first[2]!.item!;
    expect(call).toMatchObject({ type: 'custom_tool_call', name: 'exec', status: 'completed' });
    expect(call.namespace).toBeUndefined();
    expect(call.input).toContain('await tools.exec_command({ cmd: "echo hi > a.txt", login: false');
    expect(first[3]!.response!.usage).toEqual({
      input_tokens: 135,
      input_tokens_details: { cached_tokens: 30, cache_write_tokens: 5 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 155,
    });
    const input = [CODE_MODE, USER, call, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'exit 0\n' }];
    const second = await events(await post('k-resp', { model: 'm1', stream: true, input }));
    expect(second.find((e) => e.type === 'response.output_item.done')!.item).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'finished' }] });
    expect(second.find((e) => e.type === 'response.output_text.delta')).toMatchObject({ delta: 'finished' });
    const rec = api.requestsFor('k-resp');
    expect(rec.map((r) => [r.protocol, r.method, r.model, r.stream, r.status])).toEqual([
      ['openai-responses', 'POST', 'm1', true, 200],
      ['openai-responses', 'POST', 'm1', true, 200],
    ]);
    expect(rec[0]!.text).toContain('task text');
  });

  it('calls exec_command directly when codex offers it', async () => {
    const done = (await events(await post('k-resp', { model: 'm1', stream: true, input: [DIRECT, USER] }))).find((e) => e.type === 'response.output_item.done')!;
    expect(done.item).toMatchObject({ type: 'function_call', name: 'exec_command' });
    expect(JSON.parse(done.item!.arguments as string)).toMatchObject({ cmd: 'echo hi > a.txt' });
  });

  it.each([
    [[{ type: 'function', name: 'shell' }], { kind: 'function', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', 'ls'] }) }],
    [[{ type: 'function', name: 'shell_command' }], { kind: 'function', name: 'shell_command', arguments: JSON.stringify({ command: 'ls' }) }],
    [[{ type: 'function', name: 'web_search' }], undefined],
  ])('finds the shell tool among top-level tools too (%j)', (tools, call) => {
    expect(shellCall(offeredTools({ tools }), 'ls')).toEqual(call === undefined ? undefined : { namespace: undefined, ...call });
  });

  it('refuses a request that offers no shell tool', async () => {
    const res = await post('k-resp', { model: 'm1', stream: true, input: [USER] });
    expect(res.status).toBe(400);
  });

  it("answers a status turn with OpenAI's error body, and unknown keys with 401", async () => {
    const limited = await post('k-429', { model: 'm1', input: [USER] });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } });
    const refused = await post('nobody', { model: 'm1', input: [USER] });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('cuts the stream after it started', async () => {
    const res = await post('k-cut', { model: 'm1', stream: true, input: [USER] });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('refuses the WebSocket upgrade with 426, so codex falls back to HTTP at once', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${api.url}/v1/responses`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', authorization: 'Bearer k-resp' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
    expect(api.requests.at(-1)).toMatchObject({ protocol: 'openai-responses', method: 'GET', status: 426, key: 'k-resp' });
  });
});
