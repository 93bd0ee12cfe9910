import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, newRunId } from '@outpost/shared';
import { startEdge, type Edge } from '../src/index.js';
import { call, startHarness, type Harness } from './helpers/harness.js';
import { OAuthTestClient, pkce, probe, tokenClient } from './helpers/oauth.js';

describe('MCP authorization (OAuth 2.1)', () => {
  let h: Harness;
  let clock: ManualClock;
  let apiKey: string;
  let tenantId: string;
  let oauth: OAuthTestClient;

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    // No auth cache: a revoked token must fail on the very next call.
    h = await startHarness({ authCacheMs: 0, clock });
    ({ apiKey, tenantId } = await h.tenant('pro'));
    oauth = await new OAuthTestClient(h.edge.url).register();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  describe('discovery', () => {
    it('answers a 401 naming the protected-resource metadata, which names the edge as authorization server', async () => {
      const { status, challenge } = await probe(h.mcpUrl);
      expect(status).toBe(401);
      expect(challenge).toBe(`Bearer realm="outpost", resource_metadata="${h.edge.url}/.well-known/oauth-protected-resource"`);
      for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
        const prm = (await (await fetch(`${h.edge.url}${path}`)).json()) as Record<string, unknown>;
        expect(prm).toMatchObject({ resource: h.mcpUrl, authorization_servers: [`${h.edge.url}/`], scopes_supported: ['runs:read', 'runs:write', 'promote'] });
      }
      const as = (await (await fetch(`${h.edge.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(as).toMatchObject({
        issuer: `${h.edge.url}/`,
        authorization_endpoint: `${h.edge.url}/authorize`,
        token_endpoint: `${h.edge.url}/token`,
        registration_endpoint: `${h.edge.url}/register`,
        revocation_endpoint: `${h.edge.url}/revoke`,
        code_challenge_methods_supported: ['S256'],
      });
    });

    it('marks a bad bearer with error="invalid_token" and still names the metadata', async () => {
      const { status, challenge, body } = await probe(h.mcpUrl, 'opoa_not-a-real-token');
      expect(status).toBe(401);
      expect(challenge).toContain('error="invalid_token"');
      expect(challenge).toContain('resource_metadata=');
      expect(body).toContain('OAuth access token is expired, revoked or not for this server');
    });
  });

  describe('sign-in and tokens', () => {
    it('a signed-in token lists and calls tools for its tenant; the API key keeps working', async () => {
      const tokens = await oauth.tokens(apiKey);
      expect(tokens.access_token).toMatch(/^opoa_/);
      expect(tokens.scope).toBe('runs:read runs:write promote');
      const client = await tokenClient(h.mcpUrl, tokens.access_token);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('dispatch');
      const status = await call(client, 'fleet_status');
      expect(status.isError).toBeFalsy();
      await client.close();
      const byKey = await h.client(apiKey);
      expect((await call(byKey, 'fleet_status')).isError).toBeFalsy();
    });

    it('stores no secret in the clear: codes and tokens are kept as SHA-256 hashes', async () => {
      const tokens = await oauth.tokens(apiKey);
      const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
      const out = await h.stack.clients.doc.send(new ScanCommand({ TableName: h.stores.names.tables.oauth }));
      const dump = JSON.stringify(out.Items);
      expect(dump).not.toContain(tokens.access_token);
      expect(dump).not.toContain(tokens.refresh_token);
      expect(dump).not.toContain(apiKey);
    });

    it('a runs:read token reads but cannot dispatch, cancel or promote', async () => {
      const tokens = await oauth.tokens(apiKey, { scope: 'runs:read' });
      const client = await tokenClient(h.mcpUrl, tokens.access_token);
      expect((await call(client, 'fleet_status')).isError).toBeFalsy();
      const dispatch = await call(client, 'dispatch', { repo: 'https://example.com/r.git', task: 'x', agents: ['shell'] });
      expect(dispatch.isError).toBe(true);
      expect(JSON.stringify(dispatch.content)).toContain('dispatch needs the `runs:write` scope; this token has runs:read');
      const promote = await call(client, 'promote', { runId: newRunId() });
      expect(JSON.stringify(promote.content)).toContain('needs the `promote` scope');
      await client.close();
    });

    it('resources and prompts read runs: a token without runs:read gets neither', async () => {
      const write = await tokenClient(h.mcpUrl, (await oauth.tokens(apiKey, { scope: 'runs:write' })).access_token);
      await expect(write.listResources()).rejects.toThrow(/method not found/i);
      await expect(write.listPrompts()).rejects.toThrow(/method not found/i);
      await write.close();
      const read = await tokenClient(h.mcpUrl, (await oauth.tokens(apiKey, { scope: 'runs:read' })).access_token);
      expect(Array.isArray((await read.listResources()).resources)).toBe(true);
      expect((await read.listPrompts()).prompts.length).toBeGreaterThan(0);
      await read.close();
    });

    it('refuses an unknown scope', async () => {
      const res = await oauth.authorize({ code_challenge: pkce().challenge, scope: 'runs:read admin' });
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_scope');
    });

    it("another tenant's run is not found, word for word like a missing one", async () => {
      const other = await h.tenant('pro');
      const runId = newRunId();
      await h.stores.runs.create({ tenantId: other.tenantId, runId, tier: 'pro', agent: 'shell', repo: 'https://example.com/r.git', task: 'x', taskBytes: 1, timeoutSeconds: 60, maxAttempts: 3 });
      const client = await tokenClient(h.mcpUrl, (await oauth.tokens(apiKey)).access_token);
      const theirs = await call(client, 'get_run', { runId });
      const missingId = newRunId();
      const missing = await call(client, 'get_run', { runId: missingId });
      expect(theirs.isError).toBe(true);
      expect(JSON.stringify(theirs.content).replace(runId, 'ID')).toBe(JSON.stringify(missing.content).replace(missingId, 'ID'));
      await client.close();
      expect(tenantId).not.toBe(other.tenantId);
    });
  });

  describe('refusals', () => {
    it('codes are single-use, and a replayed code revokes the tokens the first use got', async () => {
      const { verifier, challenge } = pkce();
      const code = await oauth.code(apiKey, challenge);
      const first = await oauth.exchange(code, verifier);
      expect(first.status).toBe(200);
      const second = await oauth.exchange(code, verifier);
      expect(second).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      expect((await probe(h.mcpUrl, String(first.json['access_token']))).status).toBe(401);
    });

    it('a code expires after 60 s', async () => {
      const { verifier, challenge } = pkce();
      const code = await oauth.code(apiKey, challenge);
      clock.advance(61_000);
      expect(await oauth.exchange(code, verifier)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    });

    it.each([
      ['plain', { code_challenge_method: 'plain' }],
      ['no method', { code_challenge_method: undefined }],
      ['no challenge', { code_challenge: undefined }],
    ])('refuses PKCE without S256 (%s)', async (_name, extra) => {
      const res = await oauth.authorize({ code_challenge: pkce().challenge, ...extra });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location') ?? '');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('code')).toBeNull();
    });

    it('refuses a code_verifier that does not match the challenge', async () => {
      const code = await oauth.code(apiKey, pkce().challenge);
      expect(await oauth.exchange(code, pkce().verifier)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    });

    it.each([
      ['another port', 'http://127.0.0.1:59998/callback'],
      ['another path', 'http://127.0.0.1:59999/callback/x'],
      ['a query added', 'http://127.0.0.1:59999/callback?x=1'],
      ['another host', 'http://evil.example/callback'],
    ])('matches redirect URIs exactly: %s is refused without a redirect', async (_name, redirectUri) => {
      const res = await oauth.authorize({ code_challenge: pkce().challenge, redirect_uri: redirectUri });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });

    it('refuses a resource indicator naming another server', async () => {
      const res = await oauth.authorize({ code_challenge: pkce().challenge, resource: 'https://other.example/mcp' });
      expect(new URL(res.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_target');
    });

    it('an access token expires after an hour', async () => {
      const { access_token } = await oauth.tokens(apiKey);
      expect((await probe(h.mcpUrl, access_token)).status).toBe(200);
      clock.advance(3_600_000 + 1_000);
      const { status, challenge } = await probe(h.mcpUrl, access_token);
      expect(status).toBe(401);
      expect(challenge).toContain('error="invalid_token"');
    });

    it('a revoked token is refused, and so is its refresh token', async () => {
      const tokens = await oauth.tokens(apiKey);
      const res = await fetch(`${h.edge.url}/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: oauth.clientId, token: tokens.access_token }).toString(),
      });
      expect(res.status).toBe(200);
      expect((await probe(h.mcpUrl, tokens.access_token)).status).toBe(401);
      expect(await oauth.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    });

    it('revoking the API key that signed in ends the sign-in: its tokens and refresh tokens stop working', async () => {
      const t = await h.tenant('pro');
      const tokens = await oauth.tokens(t.apiKey);
      expect((await probe(h.mcpUrl, tokens.access_token)).status).toBe(200);
      await h.stores.tenants.revokeApiKey(t.apiKey);
      expect((await probe(h.mcpUrl, tokens.access_token)).status).toBe(401);
      expect(await oauth.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    });

    it('refresh tokens rotate; reusing a spent one revokes the whole sign-in', async () => {
      const first = await oauth.tokens(apiKey);
      const rotated = await oauth.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(rotated.status).toBe(200);
      const next = String(rotated.json['access_token']);
      expect((await probe(h.mcpUrl, next)).status).toBe(200);
      const replay = await oauth.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      expect((await probe(h.mcpUrl, next)).status).toBe(401);
      expect(await oauth.token({ grant_type: 'refresh_token', refresh_token: String(rotated.json['refresh_token']) })).toMatchObject({ status: 400 });
    });

    it('a refresh can narrow scopes but not widen them', async () => {
      const read = await oauth.tokens(apiKey, { scope: 'runs:read' });
      const wider = await oauth.token({ grant_type: 'refresh_token', refresh_token: read.refresh_token, scope: 'runs:read runs:write' });
      expect(wider).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
    });

    it("refuses another edge's token (audience: the token is bound to its edge's /mcp)", async () => {
      let other: Edge | undefined;
      try {
        other = await startEdge({ config: { ...h.stack.config, port: 0, host: '127.0.0.1', authCacheMs: 0 }, clients: h.stack.clients });
        const mine = await oauth.tokens(apiKey);
        expect((await probe(h.mcpUrl, mine.access_token)).status).toBe(200);
        expect((await probe(`${other.url}/mcp`, mine.access_token)).status).toBe(401);
      } finally {
        await other?.close(1_000);
      }
    });
  });

  describe('the sign-in page', () => {
    it('carries the dashboard security headers and lets its form reach only the edge and the client', async () => {
      const res = await oauth.authorize({ code_challenge: pkce().challenge });
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("form-action 'self' http://127.0.0.1:59999;");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    });

    it('refuses a wrong key with the page again, never echoing the key', async () => {
      const wrong = await oauth.signIn('op_test_wrongwrongwrongwrongwrongwrong', { code_challenge: pkce().challenge });
      expect(wrong.status).toBe(401);
      const html = await wrong.text();
      expect(html).toContain('Unknown or revoked API key.');
      expect(html).not.toContain('op_test_wrong');
    });

    it('refuses a form posted without the cookie set with the page (CSRF)', async () => {
      const res = await oauth.signIn(apiKey, { code_challenge: pkce().challenge }, { dropCookie: true });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });

    it('puts the key in neither URL: the redirect carries only code and state', async () => {
      const res = await oauth.signIn(apiKey, { code_challenge: pkce().challenge, state: 'xyz' });
      const location = new URL(res.headers.get('location') ?? '');
      expect(location.origin + location.pathname).toBe(oauth.redirectUri);
      expect([...location.searchParams.keys()].sort()).toEqual(['code', 'state']);
      expect(location.href).not.toContain(apiKey);
    });
  });
});
