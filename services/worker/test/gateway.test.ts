import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_PRICES, type MonthlySpend, type Provider } from '@outpost/shared';
import { ModelGateway } from '../src/gateway/gateway.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

// A provider on loopback: answers each wire format with a known usage.
function startUpstream(seen: Seen[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const url = req.url ?? '';
      if (url.startsWith('/v1/messages')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300, output_tokens: 1 } } })}\n\n`);
        res.write(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'hi' } })}\n\n`);
        res.end(`event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 500 } })}\n\n`);
      } else if (url.startsWith('/v1/responses')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'response', model: 'gpt-5', usage: { input_tokens: 1200, input_tokens_details: { cached_tokens: 200 }, output_tokens: 100 } }));
      } else if (url.includes(':generateContent')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 2 } }));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('ModelGateway', () => {
  const seen: Seen[] = [];
  let upstream: { server: Server; url: string };
  let gw: ModelGateway;
  beforeAll(async () => {
    upstream = await startUpstream(seen);
    const upstreams: Record<Provider, string> = { anthropic: upstream.url, openai: `${upstream.url}/v1`, gemini: upstream.url, xai: `${upstream.url}/v1` };
    gw = await ModelGateway.start({ upstreams, prices: DEFAULT_PRICES });
  });
  afterAll(async () => {
    await gw.close();
    await new Promise((r) => upstream.server.close(r));
  });

  const messages = (token: string, header = 'x-api-key') =>
    fetch(`${gw.baseUrl('anthropic')}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { [header]: header === 'authorization' ? `Bearer ${token}` : token, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, messages: [] }),
    });

  it('swaps the run token for the tenant key, streams the answer through unchanged, and counts usage and cost', async () => {
    const g = gw.grant({ tenantId: 'ten_a', runId: 'run_a', keys: { anthropic: 'sk-ant-real-key' } });
    const before = seen.length;
    const res = await messages(g.token);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"text":"hi"');
    expect(text).toContain('message_delta');
    const got = seen[before]!;
    expect(got.path).toBe('/v1/messages?beta=true');
    expect(got.headers['x-api-key']).toBe('sk-ant-real-key');
    expect(JSON.stringify(got.headers)).not.toContain(g.token);
    const spent = g.spent();
    expect(spent.usage).toEqual({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 300 });
    // claude-sonnet-4: $3 in, $15 out, $0.30 cache read, $3.75 cache write per million.
    expect(spent.costUsd).toBeCloseTo((1000 * 3 + 500 * 15 + 2000 * 0.3 + 300 * 3.75) / 1e6, 10);
    expect(spent.byModel['claude-sonnet-4-5']).toEqual({ calls: 1, costUsd: spent.costUsd });
    g.revoke();
  });

  it('refuses a made-up token, a revoked one and another provider\'s missing key, and forwards nothing', async () => {
    const g = gw.grant({ tenantId: 'ten_a', runId: 'run_b', keys: { anthropic: 'sk-ant-real-key' } });
    const before = seen.length;
    expect((await messages('opr_made_up')).status).toBe(401);
    const noKey = await fetch(`${gw.baseUrl('openai')}/responses`, { method: 'POST', headers: { authorization: `Bearer ${g.token}` }, body: '{}' });
    expect(noKey.status).toBe(401);
    g.revoke();
    const late = await messages(g.token);
    expect(late.status).toBe(401);
    expect(((await late.json()) as { error: { message: string } }).error.message).toMatch(/run token/);
    expect(seen.length).toBe(before);
  });

  it('reads OpenAI and Gemini usage with cached input apart, and swaps a key carried as Bearer or ?key=', async () => {
    const g = gw.grant({ tenantId: 'ten_a', runId: 'run_c', keys: { openai: 'sk-openai-real', gemini: 'gemini-real' } });
    const before = seen.length;
    await (await fetch(`${gw.baseUrl('openai')}/responses`, { method: 'POST', headers: { authorization: `Bearer ${g.token}` }, body: '{}' })).text();
    await (await fetch(`${gw.baseUrl('gemini')}/v1beta/models/gemini-2.5-pro:generateContent?key=${g.token}`, { method: 'POST', body: '{}' })).text();
    expect(seen[before]!.headers.authorization).toBe('Bearer sk-openai-real');
    expect(seen[before + 1]!.path).toBe('/v1beta/models/gemini-2.5-pro:generateContent?key=gemini-real');
    const spent = g.spent();
    expect(spent.usage).toEqual({ inputTokens: 1000 + 10, outputTokens: 100 + 7, cacheReadTokens: 200, cacheWriteTokens: 0 });
    expect(Object.keys(spent.byModel).sort()).toEqual(['gemini-2.5-pro', 'gpt-5']);
    g.revoke();
  });

  it('stops a run at its budget: the call that passes it is counted, the next is refused', async () => {
    const g = gw.grant({ tenantId: 'ten_a', runId: 'run_d', keys: { anthropic: 'k' }, maxCostUsd: 0.01 });
    const events: string[] = [];
    g.onRefused((e) => events.push(e.limit));
    expect((await messages(g.token)).status).toBe(200); // costs ~$0.0122
    await new Promise<void>((resolve) => {
      const check = () => (g.spent().calls > 0 ? resolve() : setImmediate(check));
      check();
    });
    expect(events).toEqual([]); // passing the budget is not yet a refusal
    const refused = await messages(g.token);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('budget_exceeded');
    expect(events).toEqual(['run']);
    expect(g.exceeded).toMatchObject({ limit: 'run', limitUsd: 0.01 });
    g.revoke();
  });

  it('takes a token only from the user its run\'s agent runs as', async () => {
    const me = process.getuid!();
    const mine = gw.grant({ tenantId: 'ten_u', runId: 'run_u1', keys: { anthropic: 'k' }, agentUid: me });
    const other = gw.grant({ tenantId: 'ten_v', runId: 'run_u2', keys: { anthropic: 'k' }, agentUid: me + 1 });
    expect((await messages(mine.token)).status).toBe(200);
    const refused = await messages(other.token);
    expect(refused.status).toBe(401);
    expect(other.spent().calls).toBe(0);
    mine.revoke();
    other.revoke();
  });

  it('shares one monthly limit between a tenant\'s concurrent runs', async () => {
    let spent = 0;
    const monthly: MonthlySpend = { current: async () => ({ spentUsd: spent, limitUsd: 0.02 }), add: async (c) => void (spent += c) };
    const a = gw.grant({ tenantId: 'ten_m', runId: 'run_1', keys: { anthropic: 'k' }, monthly });
    const b = gw.grant({ tenantId: 'ten_m', runId: 'run_2', keys: { anthropic: 'k' }, monthly });
    for (const g of [a, b]) await (await messages(g.token)).text();
    while (a.spent().calls + b.spent().calls < 2) await new Promise((r) => setImmediate(r));
    expect(spent).toBeGreaterThan(0.02);
    expect((await messages(a.token)).status).toBe(403);
    expect((await messages(b.token)).status).toBe(403);
    expect(b.exceeded?.limit).toBe('monthly');
    a.revoke();
    b.revoke();
  });
});
