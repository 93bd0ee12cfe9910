import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startScriptedModelApi, toolBySuffix, turnAt, type ModelApi, type Script } from '../src/model-api/index.js';
import { namedCall } from '../src/model-api/openai-responses.js';

/** fleet_status, then dispatch, then a final message: what the MCP clients test scripts. */
const SCRIPT: Script = [
  { kind: 'tool', suffix: 'fleet_status', args: {} },
  { kind: 'tool', suffix: 'dispatch', args: { agent: 'claude', task: 't' } },
  { kind: 'final', text: 'all done' },
];

describe('scripted model API › tool turns (an MCP tool by suffix)', () => {
  describe('toolBySuffix()', () => {
    it.each([
      [['Bash', 'mcp__outpost__fleet_status'], 'fleet_status', 'mcp__outpost__fleet_status'],
      [['mcp_outpost_fleet_status', 'run_shell_command'], 'fleet_status', 'mcp_outpost_fleet_status'],
      [['mcp__outpost.dispatch', 'exec_command'], 'dispatch', 'mcp__outpost.dispatch'],
      [['dispatch', 'mcp__other__dispatch'], 'dispatch', 'dispatch'],
      // No separator before the suffix: another tool, not a prefixed one.
      [['redispatch'], 'dispatch', undefined],
      // Two servers offer it: ambiguous, so none.
      [['mcp__a__dispatch', 'mcp__b__dispatch'], 'dispatch', undefined],
      [['Bash'], 'fleet_status', undefined],
    ])('in %j, %s is %s', (names, suffix, want) => {
      expect(toolBySuffix(names, suffix)).toBe(want);
    });
  });

  it('turnAt() counts a tool turn as a call answered by one tool result', () => {
    expect([0, 1, 2].map((n) => turnAt(SCRIPT, n))).toEqual([SCRIPT[0], SCRIPT[1], SCRIPT[2]]);
  });

  it('namedCall() calls a tool in a namespace by the namespace and name', () => {
    const tools = [{ type: 'function', name: 'exec_command', namespace: 'functions' }, { type: 'function', name: 'dispatch', namespace: 'mcp__outpost' }];
    expect(namedCall(tools, 'dispatch', { task: 't' })).toEqual({ kind: 'function', name: 'dispatch', namespace: 'mcp__outpost', arguments: '{"task":"t"}' });
    expect(namedCall(tools, 'fleet_status', {})).toBeUndefined();
  });

  describe('over HTTP', () => {
    let api: ModelApi;
    beforeAll(async () => {
      api = await startScriptedModelApi();
      for (const key of ['k-ant', 'k-resp', 'k-gem', 'k-chat', 'k-none']) api.script(key, SCRIPT);
    });
    afterAll(async () => api?.close());
    const post = async (key: string, path: string, body: Record<string, unknown>) => {
      const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'x-api-key': key, authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };

    it('Anthropic: a tool_use of the prefixed tool, then the next one after its result', async () => {
      const tools = [{ name: 'Bash' }, { name: 'mcp__outpost__fleet_status' }, { name: 'mcp__outpost__dispatch' }];
      const user = { role: 'user', content: 'go' };
      const first = JSON.parse((await post('k-ant', '/v1/messages', { model: 'm', messages: [user], tools })).text) as { content: unknown[] };
      expect(first.content).toEqual([{ type: 'tool_use', id: 'toolu_scripted_1', name: 'mcp__outpost__fleet_status', input: {} }]);
      const messages = [user, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_scripted_1', content: 'ok' }] }];
      const second = JSON.parse((await post('k-ant', '/v1/messages', { model: 'm', messages, tools })).text) as { content: unknown[] };
      expect(second.content).toEqual([{ type: 'tool_use', id: 'toolu_scripted_2', name: 'mcp__outpost__dispatch', input: { agent: 'claude', task: 't' } }]);
    });

    it('Anthropic: a side request without the tool gets text and leaves the script where it is', async () => {
      const res = JSON.parse((await post('k-none', '/v1/messages', { model: 'm', messages: [{ role: 'user', content: 'title?' }], tools: [{ name: 'Bash' }] })).text) as { content: unknown[] };
      expect(res.content).toEqual([{ type: 'text', text: 'Call the tool fleet_status.' }]);
    });

    it('OpenAI Responses: a function call in the MCP namespace; a request without the tool is refused', async () => {
      const input = [{ type: 'additional_tools', tools: [{ type: 'namespace', name: 'mcp__outpost', tools: [{ type: 'function', name: 'fleet_status' }] }] }];
      const ok = await post('k-resp', '/v1/responses', { model: 'm', stream: true, input });
      expect(ok.status).toBe(200);
      const done = ok.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; item?: Record<string, unknown> }).find((e) => e.type === 'response.output_item.done');
      expect(done?.item).toMatchObject({ type: 'function_call', name: 'fleet_status', namespace: 'mcp__outpost', arguments: '{}' });
      const refused = await post('k-resp', '/v1/responses', { model: 'm', stream: true, input: [] });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('offers no tool named fleet_status');
    });

    it('Gemini: a functionCall of the prefixed declaration', async () => {
      const tools = [{ functionDeclarations: [{ name: 'run_shell_command' }, { name: 'mcp_outpost_fleet_status' }] }];
      const res = JSON.parse((await post('k-gem', '/v1beta/models/g:generateContent', { contents: [{ role: 'user', parts: [{ text: 'go' }] }], tools })).text) as { candidates: { content: { parts: unknown[] } }[] };
      expect(res.candidates[0]!.content.parts).toEqual([{ functionCall: { name: 'mcp_outpost_fleet_status', args: {} } }]);
    });

    it('OpenAI chat completions: a tool call of the prefixed function', async () => {
      const tools = [{ type: 'function', function: { name: 'outpost__fleet_status' } }];
      const res = JSON.parse((await post('k-chat', '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'go' }], tools })).text) as { choices: { message: { tool_calls?: unknown[] } }[] };
      expect(res.choices[0]!.message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'outpost__fleet_status', arguments: '{}' } }]);
    });
  });
});
