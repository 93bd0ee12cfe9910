import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHarness, type Harness } from './helpers/harness.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function post(h: Harness, headers: Record<string, string>, body: unknown = INIT): Promise<Response> {
  return fetch(h.mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

describe('mcp-edge HTTP', () => {
  let h: Harness;
  let good: { tenantId: string; apiKey: string };
  let revoked: { tenantId: string; apiKey: string };

  beforeAll(async () => {
    h = await startHarness();
    good = await h.tenant('pro');
    revoked = await h.tenant('pro');
    await h.stores.tenants.revokeApiKey(revoked.apiKey);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('auth', () => {
    /** A 401's JSON-RPC error, after checking what every 401 shares. */
    const unauthorized = async (res: Response) => {
      expect(res.status).toBe(401);
      // It names where to sign in (OAuth discovery, RFC 9728); a bearer that was sent is marked invalid.
      const metadata = `resource_metadata="${h.edge.url}/.well-known/oauth-protected-resource"`;
      expect([`Bearer realm="outpost", ${metadata}`, `Bearer realm="outpost", ${metadata}, error="invalid_token"`]).toContain(res.headers.get('www-authenticate'));
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { jsonrpc: string; id: null; error: { code: number; message: string; data: { reason: string } } };
      expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001 } });
      return body.error;
    };

    it.each([
      ['missing', {}, 'missing', /no API key/i],
      ['malformed (no Bearer)', { Authorization: 'op_test_abcdefghijklmnopqrstuvwxyz' }, 'malformed', /Bearer op_live_/],
      ['malformed (not a key)', { Authorization: 'Bearer hello' }, 'malformed', /not an Outpost API key/],
      ['unknown', { Authorization: 'Bearer op_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'unknown_or_revoked', /unknown or revoked/],
    ])('answers 401 with WWW-Authenticate for a %s key, saying what is wrong and how to get a key', async (_label, headers, reason, says) => {
      const error = await unauthorized(await post(h, headers));
      expect(error.data.reason).toBe(reason);
      expect(error.message).toMatch(says);
      // How to get a key: in local mode the file npm start writes, and the admin command.
      expect(error.message).toContain(`${h.stack.config.home}/local.json`);
      expect(error.message).toContain('npm run tenant -- create-key --tenant');
    });

    it('answers 401 for a revoked key, word for word as for an unknown one (a key is never confirmed to exist)', async () => {
      const error = await unauthorized(await post(h, { Authorization: `Bearer ${revoked.apiKey}` }));
      const unknown = await unauthorized(await post(h, { Authorization: 'Bearer op_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }));
      expect(error).toEqual(unknown);
      expect(error.message).not.toContain(revoked.apiKey);
    });

    it('refuses a key revoked after use once its cache entry expires', async () => {
      const short = await startHarness({ authCacheMs: 0 });
      try {
        const t = await short.tenant('pro');
        expect((await post(short, { Authorization: `Bearer ${t.apiKey}` })).status).toBe(200);
        await short.stores.tenants.revokeApiKey(t.apiKey);
        expect((await post(short, { Authorization: `Bearer ${t.apiKey}` })).status).toBe(401);
      } finally {
        await short.close();
      }
    });

    it('lets a valid key initialize over Streamable HTTP (SSE response)', async () => {
      const res = await post(h, { Authorization: `Bearer ${good.apiKey}` });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      expect(await res.text()).toContain('"serverInfo"');
    });

    it('answers a quick tool call in one JSON body, and a call that asked for progress over SSE', async () => {
      const call = (meta?: Record<string, unknown>) => ({
        jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fleet_status', arguments: {}, ...(meta ? { _meta: meta } : {}) },
      });
      const headers = { Authorization: `Bearer ${good.apiKey}`, 'MCP-Protocol-Version': '2025-06-18' };
      const quick = await post(h, headers, call());
      expect(quick.status).toBe(200);
      expect(quick.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await quick.json()) as { result: { structuredContent: unknown } }).result.structuredContent).toBeDefined();
      const streamed = await post(h, headers, call({ progressToken: 'p' }));
      expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
      expect(await streamed.text()).toContain('"structuredContent"');
    });

    it('rejects a client with a bad key at connect through the SDK', async () => {
      await expect(h.client('op_test_nonexistentnonexistentnonexistent')).rejects.toThrow();
    });
  });

  describe('endpoints', () => {
    it('serves /healthz without auth', async () => {
      const res = await fetch(`${h.edge.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('serves /readyz with DynamoDB and SQS reachable', async () => {
      const res = await fetch(`${h.edge.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', dynamodb: 'ok', sqs: 'ok' });
    });

    it('answers 405 to GET /mcp (stateless: no standalone stream) and 400 to a broken body', async () => {
      const get = await fetch(h.mcpUrl, { headers: { Authorization: `Bearer ${good.apiKey}`, Accept: 'text/event-stream' } });
      expect(get.status).toBe(405);
      const bad = await fetch(h.mcpUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${good.apiKey}`, 'Content-Type': 'application/json' },
        body: '{not json',
      });
      expect(bad.status).toBe(400);
    });

    it.each([
      ['with a Content-Length', false],
      ['chunked, with no Content-Length', true],
    ])('answers 413 with a JSON-RPC error to a body over 1 MiB (%s), and the client reads it', async (_label, chunked) => {
      const big = JSON.stringify({ ...INIT, params: { ...INIT.params, padding: 'x'.repeat(3 * 1024 * 1024) } });
      const body = chunked
        ? new ReadableStream<Uint8Array>({
            start(c) {
              const bytes = new TextEncoder().encode(big);
              for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.subarray(i, i + 64 * 1024));
              c.close();
            },
          })
        : big;
      const res = await fetch(h.mcpUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${good.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body,
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: expect.stringMatching(/larger than 1048576 bytes/) }, id: null });
      // The edge still serves the next request.
      expect((await post(h, { Authorization: `Bearer ${good.apiKey}` })).status).toBe(200);
    });

    it('cuts a connection whose body goes on past 64 MiB more instead of reading it forever', async () => {
      const chunk = new Uint8Array(1024 * 1024).fill(0x20);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          // 200 MiB unless the edge stops reading first.
          if (sent++ < 200) c.enqueue(chunk);
          else c.close();
        },
      });
      const init = { method: 'POST', headers: { Authorization: `Bearer ${good.apiKey}`, 'Content-Type': 'application/json' }, body, duplex: 'half' };
      await expect(fetch(h.mcpUrl, init as RequestInit)).rejects.toThrow();
      expect(sent).toBeLessThan(200);
      expect((await post(h, { Authorization: `Bearer ${good.apiKey}` })).status).toBe(200);
    });

    it('refuses a browser Origin other than loopback in local mode (DNS rebinding)', async () => {
      expect((await post(h, { Authorization: `Bearer ${good.apiKey}`, Origin: 'https://evil.example' })).status).toBe(403);
      expect((await post(h, { Authorization: `Bearer ${good.apiKey}`, Origin: 'http://localhost:3000' })).status).toBe(200);
    });

    it('lists every tool with output schemas and read-only hints', async () => {
      const client = await h.client(good.apiKey);
      const { tools } = await client.listTools();
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      expect(Object.keys(byName).sort()).toEqual(['cancel_run', 'dispatch', 'fleet_status', 'get_run', 'list_runs', 'promote', 'retry', 'wait_for_run']);
      for (const t of tools) expect(t.outputSchema).toBeDefined();
      for (const name of ['get_run', 'list_runs', 'wait_for_run', 'fleet_status']) expect(byName[name]?.annotations?.readOnlyHint).toBe(true);
      for (const name of ['dispatch', 'cancel_run', 'promote', 'retry']) expect(byName[name]?.annotations?.readOnlyHint).toBe(false);
    });
  });
});
