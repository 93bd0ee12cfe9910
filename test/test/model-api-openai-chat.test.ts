import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startScriptedModelApi, type ModelApi } from '../src/model-api/index.js';

const BASH = { type: 'function', function: { name: 'bash', parameters: { type: 'object', properties: { command: { type: 'string' } } } } };
/** The parts of a chat completion (or chunk) the tests read. */
interface Completion {
  choices: { finish_reason?: string | null; message?: { content: string | null; tool_calls?: { function: unknown }[] }; delta?: { tool_calls?: unknown[] } }[];
  usage?: unknown;
}
const SCRIPT = [{ kind: 'shell', command: 'echo hi > a.txt' }, { kind: 'final', text: 'finished' }] as const;

describe('scripted model API › OpenAI chat completions', () => {
  let api: ModelApi;
  beforeAll(async () => {
    api = await startScriptedModelApi();
    api.script('k-chat', SCRIPT, { inputTokens: 100, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 0 });
    api.script('k-429', [{ kind: 'status', status: 429 }]);
    api.script('k-cut', [{ kind: 'cut' }]);
  });
  afterAll(async () => api?.close());

  const post = (key: string, body: Record<string, unknown>) =>
    fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const user = [{ role: 'system', content: 'sys' }, { role: 'user', content: 'task text' }];

  it('calls the client\'s shell tool, then answers after its result; usage is OpenAI-shaped', async () => {
    const first = (await (await post('k-chat', { model: 'm1', messages: user, tools: [BASH] })).json()) as Completion;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message!.tool_calls![0]!.function).toEqual({ name: 'bash', arguments: JSON.stringify({ command: 'echo hi > a.txt' }) });
    expect(first.usage).toEqual({ prompt_tokens: 130, completion_tokens: 20, total_tokens: 150, prompt_tokens_details: { cached_tokens: 30 } });
    const messages = [...user, first.choices[0]!.message, { role: 'tool', tool_call_id: 'call_1', content: 'ok' }];
    const second = (await (await post('k-chat', { model: 'm1', messages, tools: [BASH] })).json()) as Completion;
    expect(second.choices[0]!.message).toEqual({ role: 'assistant', content: 'finished' });
    const rec = api.requestsFor('k-chat');
    expect(rec.map((r) => [r.protocol, r.model, r.stream, r.status])).toEqual([
      ['openai-chat', 'm1', false, 200],
      ['openai-chat', 'm1', false, 200],
    ]);
    expect(rec[0]!.text).toContain('task text');
  });

  it('streams SSE chunks with the tool call, the finish reason, usage when asked, and [DONE]', async () => {
    const text = await (await post('k-chat', { model: 'm1', messages: user, tools: [BASH], stream: true, stream_options: { include_usage: true } })).text();
    const events = text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Completion);
    expect(chunks.find((c) => c.choices[0]?.delta?.tool_calls)?.choices[0]!.delta!.tool_calls![0]).toMatchObject({ index: 0, function: { name: 'bash' } });
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 130 } });
  });

  it('gives a client without a shell tool the command as a fenced block', async () => {
    const res = (await (await post('k-chat', { model: 'm1', messages: user })).json()) as Completion;
    expect(res.choices[0]!.message!.content).toContain('```bash\necho hi > a.txt\n```');
  });

  it('answers a status turn with OpenAI\'s error body, and unknown keys with 401', async () => {
    const limited = await post('k-429', { model: 'm1', messages: user });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } });
    const unknown = await post('k-nobody', { model: 'm1', messages: user });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('cuts a started answer off midway', async () => {
    const res = await post('k-cut', { model: 'm1', messages: user });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });
});
