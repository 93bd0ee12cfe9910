import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API } from '@outpost/dashboard-api';
import { UsageError } from '@outpost/shared';
import { runTenantCommand } from '../src/admin/tenant-commands.js';
import { TenantDirectory } from '../src/admin/tenant-directory.js';
import { api, signIn } from './helpers/dashboard.js';
import { startHarness, type Harness } from './helpers/harness.js';

describe('npm run tenant -- sessions', () => {
  let h: Harness;
  let deps: Parameters<typeof runTenantCommand>[1];

  beforeAll(async () => {
    h = await startHarness();
    deps = { stores: h.stores, directory: new TenantDirectory(h.stack.clients.doc, h.stores.names.tables.tenants) };
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists sessions by hash prefix, revokes one by it, then all; revoked sessions answer 401 at once', async () => {
    const t = await h.tenant('pro');
    const one = await signIn(h.edge.url, t.apiKey);
    const two = await signIn(h.edge.url, t.apiKey);
    const three = await signIn(h.edge.url, t.apiKey);
    const listed = (await runTenantCommand(['sessions', 'list', '--tenant', t.tenantId], deps)) as { sessions: { session: string; live: boolean }[] };
    expect(listed.sessions).toHaveLength(3);
    expect(listed.sessions.every((x) => x.live && /^[0-9a-f]{12}$/.test(x.session))).toBe(true);
    // Nothing printed is the cookie.
    for (const s of [one, two, three]) expect(JSON.stringify(listed)).not.toContain(s.cookie.split('=')[1]);

    const newest = listed.sessions[0]!.session;
    expect(await runTenantCommand(['sessions', 'revoke', '--tenant', t.tenantId, '--session', newest], deps)).toEqual({ tenantId: t.tenantId, revoked: 1, session: newest });
    const statuses = async () => Promise.all([one, two, three].map(async (s) => (await api(h.edge.url, s, 'GET', API.session)).status));
    expect((await statuses()).filter((x) => x === 401)).toHaveLength(1);

    expect(await runTenantCommand(['sessions', 'revoke', '--tenant', t.tenantId, '--all'], deps)).toEqual({ tenantId: t.tenantId, revoked: 2 });
    expect(await statuses()).toEqual([401, 401, 401]);
  });

  it.each([
    [['sessions', 'revoke', '--tenant', 'ten_01ARZ3NDEKTSV4RRFFQ69G5FAV', '--all'], /no tenant/],
    [['sessions', 'nope', '--tenant', '__T__'], /sessions takes list or revoke/],
    [['sessions', 'revoke', '--tenant', '__T__'], /pass --all, or --session/],
    [['sessions', 'revoke', '--tenant', '__T__', '--session', 'abcdef0123'], /no session abcdef0123/],
  ])('refuses %j with a usage error', async (argv, says) => {
    const t = await h.tenant('free');
    const args = argv.map((a) => a.replace('__T__', t.tenantId));
    await expect(runTenantCommand(args, deps)).rejects.toThrow(UsageError);
    await expect(runTenantCommand(args, deps)).rejects.toThrow(says);
  });
});
