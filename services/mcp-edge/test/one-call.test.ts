import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHarness, type Harness } from './helpers/harness.js';

const PING = { jsonrpc: '2.0', id: 41, method: 'ping' };
const GET_RUN = { jsonrpc: '2.0', id: 'g-1', method: 'tools/call', params: { name: 'get_run', arguments: { runId: 'run_01J00000000000000000000000' } } };
/** Answered by the SDK's own transport (SSE): the reference for the checks. */
const LIST = { jsonrpc: '2.0', id: 3, method: 'tools/list' };

describe('one JSON answer for one call (one-call-transport.ts), with the SDK transport\'s checks', () => {
  let h: Harness;
  let key: string;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(h.mcpUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-06-18', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    h = await startHarness();
    key = (await h.tenant('pro')).apiKey;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers a ping and a tool call with one JSON body carrying the request id', async () => {
    const ping = await post(PING);
    expect(ping.status).toBe(200);
    expect(ping.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await ping.json()).toEqual({ jsonrpc: '2.0', id: 41, result: {} });
    const got = await post(GET_RUN);
    expect(got.status).toBe(200);
    const body = (await got.json()) as { id: string; result: { isError?: boolean; content: { text: string }[] } };
    expect(body.id).toBe('g-1');
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0]?.text).toMatch(/not found/i);
  });

  it.each([
    ['an Accept without text/event-stream', { Accept: 'application/json' }, 406, -32000],
    ['a Content-Type that is not JSON', { 'Content-Type': 'text/plain' }, 415, -32000],
    ['an unsupported MCP-Protocol-Version', { 'MCP-Protocol-Version': '1999-01-01' }, 400, -32000],
  ])('refuses %s as the SDK transport does', async (_, headers, status, code) => {
    const one = await post(GET_RUN, headers);
    const sdk = await post(LIST, headers);
    expect(one.status).toBe(status);
    expect(sdk.status).toBe(status);
    const [a, b] = [(await one.json()) as { error: { code: number; message: string } }, (await sdk.json()) as { error: { code: number; message: string } }];
    expect(a.error.code).toBe(code);
    expect(a.error).toEqual(b.error);
  });

  it('a call to a tool that does not exist is refused as before, and tools/list still lists every tool', async () => {
    const res = await post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: number; result?: { isError: boolean; content: { text: string }[] }; error?: { message: string } };
    expect(body.id).toBe(9);
    expect(body.result?.content[0]?.text ?? body.error?.message).toMatch(/no_such_tool.*not found/i);
    const list = await post(LIST);
    const text = await list.text();
    for (const tool of ['dispatch', 'get_run', 'list_runs', 'cancel_run', 'wait_for_run', 'promote', 'fleet_status', 'retry']) expect(text).toContain(`"name":"${tool}"`);
  });

  it('refuses a message that is not valid JSON-RPC', async () => {
    const res = await post({ jsonrpc: '2.0', id: { not: 'an id' }, method: 'ping' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });
});
