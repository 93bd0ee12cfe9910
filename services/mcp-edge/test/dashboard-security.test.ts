import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API } from '@outpost/dashboard-api';
import { ManualClock, SessionStore } from '@outpost/shared';
import { CONTENT_SECURITY_POLICY } from '../src/dashboard/headers.js';
import { api, fakeDashboardDir, rawGet, signIn } from './helpers/dashboard.js';
import { callOk, REPO, startHarness, type Harness } from './helpers/harness.js';

describe('dashboard security', () => {
  let h: Harness;
  let base: string;
  let a: { tenantId: string; apiKey: string };
  let b: { tenantId: string; apiKey: string };

  beforeAll(async () => {
    // keyCheckMs 0: a revoked key's session must fail on the very next request.
    h = await startHarness({ dashboard: { dir: await fakeDashboardDir(), keyCheckMs: 0 } });
    base = h.edge.url;
    a = await h.tenant('pro');
    b = await h.tenant('pro');
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('POST /api/session', () => {
    it('sets an HttpOnly, SameSite=Strict session cookie (no Secure in local mode) and returns the CSRF token', async () => {
      const s = await signIn(base, a.apiKey);
      expect(s.setCookie).toMatch(/^outpost_session=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
      expect(s.info).toMatchObject({ tenantId: a.tenantId, tier: 'pro' });
      expect(s.info.csrfToken.length).toBeGreaterThan(20);
      // Stored hashed: the cookie value is not a key of the table.
      const value = s.cookie.split('=')[1]!;
      const sessions = await h.stores.sessions.listForTenant(a.tenantId);
      expect(sessions.length).toBeGreaterThan(0);
      expect(JSON.stringify(sessions)).not.toContain(value);
    });

    it.each([
      ['an unknown key', 'op_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['a malformed key', 'hello'],
    ])('answers 401 for %s, without a cookie', async (_label, apiKey) => {
      const res = await api(base, undefined, 'POST', API.session, { apiKey });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: 'unknown or revoked API key' } });
    });

    it('refuses a cross-origin sign-in and a form-encoded body', async () => {
      const cross = await api(base, undefined, 'POST', API.session, { apiKey: a.apiKey }, { Origin: 'https://evil.example' });
      expect(cross.status).toBe(403);
      expect(((await cross.json()) as { error: { code: string } }).error.code).toBe('csrf');
      const form = await fetch(`${base}${API.session}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `apiKey=${a.apiKey}` });
      expect(form.status).toBe(400);
    });
  });

  describe('sessions', () => {
    it('GET /api/session answers the same body; without a cookie 401', async () => {
      const s = await signIn(base, a.apiKey);
      const res = await api(base, s, 'GET', API.session);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.json()).toEqual(s.info);
      expect((await api(base, undefined, 'GET', API.session)).status).toBe(401);
      expect((await api(base, undefined, 'GET', API.runs)).status).toBe(401);
    });

    it('DELETE /api/session signs out: the cookie is cleared and stops working', async () => {
      const s = await signIn(base, a.apiKey);
      const res = await api(base, s, 'DELETE', API.session);
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/^outpost_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
      expect((await api(base, s, 'GET', API.runs)).status).toBe(401);
    });

    it('an expired session answers 401', async () => {
      // A session made an hour ago that lasted a minute.
      const past = new SessionStore({ tableName: h.stores.names.tables.sessions, doc: h.stack.clients.doc, clock: new ManualClock(Date.now() - 3_600_000) });
      const { cookie } = await past.create({ tenantId: a.tenantId, keyHash: (await h.stores.tenants.listApiKeys(a.tenantId))[0]!.keyHash, ttlSeconds: 60 });
      const res = await fetch(`${base}${API.runs}`, { headers: { Cookie: `outpost_session=${cookie}` } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    });

    it('a session revoked by the tenant CLI, and one whose API key was revoked, answer 401', async () => {
      const c = await h.tenant('free');
      const s1 = await signIn(base, c.apiKey);
      expect((await api(base, s1, 'GET', API.runs)).status).toBe(200);
      expect(await h.stores.sessions.revokeAllForTenant(c.tenantId)).toBe(1);
      expect((await api(base, s1, 'GET', API.runs)).status).toBe(401);

      const s2 = await signIn(base, c.apiKey);
      expect((await api(base, s2, 'GET', API.runs)).status).toBe(200);
      await h.stores.tenants.revokeApiKey(c.apiKey);
      expect((await api(base, s2, 'GET', API.runs)).status).toBe(401);
    });
  });

  describe('CSRF', () => {
    it('refuses a state change without the token, with a wrong token, or from another origin (403 csrf)', async () => {
      const s = await signIn(base, a.apiKey);
      const body = { repo: REPO, agents: ['shell'], task: 'echo hi' };
      const attempts = [
        fetch(`${base}${API.dispatch}`, { method: 'POST', headers: { Cookie: s.cookie, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
        api(base, s, 'POST', API.dispatch, body, { 'X-CSRF-Token': 'x'.repeat(s.csrf.length) }),
        api(base, s, 'POST', API.dispatch, body, { Origin: 'https://evil.example' }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('csrf');
      }
      expect((await h.stores.runs.list(a.tenantId)).runs.filter((r) => r.task === 'echo hi')).toHaveLength(0);
      // The same request with the token goes through.
      const ok = await api(base, s, 'POST', API.dispatch, body, { Origin: base });
      expect(ok.status).toBe(200);
    });
  });

  describe('headers and static files', () => {
    it.each(['/', '/runs', '/runs/run_01ARZ3NDEKTSV4RRFFQ69G5FAV', '/fleet', '/dispatch', '/sign-in'])('serves index.html at %s with the CSP and security headers', async (route) => {
      const res = await fetch(`${base}${route}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    });

    it('puts the CSP on API answers too, errors included', async () => {
      const res = await api(base, undefined, 'GET', API.runs);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    });

    it('serves hashed assets with their content type and a long cache', async () => {
      const js = await fetch(`${base}/assets/app-1a2b3c.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await js.text()).toBe('console.log("app");\n');
      expect((await fetch(`${base}/assets/app-1a2b3c.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    });

    it.each([
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/%2e%2e%2f..%2fpackage.json',
      '/assets/..%5csecret.txt',
      '/assets/%00app-1a2b3c.js',
      '/assets/',
      '/assets/missing.js',
    ])('refuses %s (no directory traversal)', async (rawPath) => {
      const res = await rawGet(base, rawPath);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('not an asset');
      expect(res.body).not.toContain('outside');
    });

    it('says how to build the app when it is not built', async () => {
      const bare = await startHarness({ dashboard: { dir: '/nonexistent/outpost-dashboard' } });
      try {
        const res = await fetch(`${bare.edge.url}/`);
        expect(res.status).toBe(503);
        expect(await res.text()).toBe('dashboard not built: run npm run build\n');
      } finally {
        await bare.close();
      }
    });
  });

  describe('tenant isolation', () => {
    it("answers another tenant's run 404, word for word as a missing or guessed id, on every route", async () => {
      const ca = await h.client(a.apiKey);
      const out = await callOk<{ runs: { runId: string }[] }>(ca, 'dispatch', { agent: 'shell', task: 'mine', repo: REPO });
      const runId = out.runs[0]!.runId;
      const sa = await signIn(base, a.apiKey);
      const sb = await signIn(base, b.apiKey);
      expect((await api(base, sa, 'GET', API.run(runId))).status).toBe(200);
      const missing = 'run_01ARZ3NDEKTSV4RRFFQ69G5FAV';
      for (const [method, route] of [
        ['GET', API.run(runId)],
        ['GET', API.runLog(runId)],
        ['GET', API.runLogStream(runId)],
        ['GET', API.runPatch(runId)],
        ['GET', API.runArtifact(runId, 'log.txt')],
        ['POST', API.runCancel(runId)],
      ] as const) {
        const theirs = await api(base, sb, method, route);
        const none = await api(base, sb, method, route.replace(runId, missing));
        expect(theirs.status).toBe(404);
        expect(none.status).toBe(404);
        expect(await theirs.text()).toBe((await none.text()).replaceAll(missing, runId));
      }
      const list = (await (await api(base, sb, 'GET', API.runs)).json()) as { runs: { runId: string }[] };
      expect(list.runs.map((r) => r.runId)).not.toContain(runId);
      // Still queued: B's cancel changed nothing.
      expect((await h.stores.runs.get(a.tenantId, runId))?.status).toBe('queued');
    });
  });
});
