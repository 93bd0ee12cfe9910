import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { startEdge, type Edge } from '../src/index.js';
import { call, startHarness, type Harness } from './helpers/harness.js';
import { probe, tokenClient } from './helpers/oauth.js';

/** A stand-in OpenID provider: discovery and a JWKS over real HTTP, keys made by jose. */
async function startIssuer(): Promise<{ server: Server; issuer: string; sign(claims: Record<string, unknown>, options?: { key?: CryptoKey; expiresIn?: string }): Promise<string> }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server = createServer((req, res) => {
    const body = req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks.json` } : req.url === '/jwks.json' ? { keys: [jwk] } : undefined;
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    issuer,
    async sign(claims, { key = privateKey, expiresIn = '10m' } = {}) {
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(String(claims['iss'] ?? issuer)).setIssuedAt().setExpirationTime(expiresIn).sign(key);
    },
  };
}

describe('MCP authorization with an external OpenID provider', () => {
  let h: Harness;
  let idp: Awaited<ReturnType<typeof startIssuer>>;
  let edge: Edge;
  let mcpUrl: string;
  let tenantId: string;
  let apiKey: string;

  beforeAll(async () => {
    h = await startHarness({ authCacheMs: 0 });
    idp = await startIssuer();
    ({ tenantId, apiKey } = await h.tenant('pro'));
    edge = await startEdge({
      config: { ...h.stack.config, port: 0, host: '127.0.0.1', authCacheMs: 0, externalIssuer: { issuer: idp.issuer, tenantClaim: 'custom:outpost_tenant' } },
      clients: h.stack.clients,
    });
    mcpUrl = `${edge.url}/mcp`;
  }, 120_000);
  afterAll(async () => {
    await edge?.close(1_000);
    idp?.server.close();
    await h?.close();
  });

  const claims = (extra: Record<string, unknown> = {}) => ({ aud: mcpUrl, sub: 'person-1', 'custom:outpost_tenant': tenantId, scope: 'runs:read runs:write', ...extra });

  it('names the external issuer in its protected-resource metadata, and serves no authorization endpoints itself', async () => {
    const prm = (await (await fetch(`${edge.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: mcpUrl, authorization_servers: [idp.issuer] });
    expect((await fetch(`${edge.url}/authorize`)).status).toBe(404);
    expect((await fetch(`${edge.url}/.well-known/oauth-authorization-server`)).status).toBe(404);
  });

  it("acts for the tenant its claim names, with the token's scopes; API keys keep working", async () => {
    const client = await tokenClient(mcpUrl, await idp.sign(claims({ scope: 'runs:read' })));
    expect((await call(client, 'fleet_status')).isError).toBeFalsy();
    const dispatch = await call(client, 'dispatch', { repo: 'https://example.com/r.git', task: 'x', agents: ['shell'] });
    expect(JSON.stringify(dispatch.content)).toContain('needs the `runs:write` scope');
    await client.close();
    expect((await probe(mcpUrl, apiKey)).status).toBe(200);
  });

  it('reads Okta-style `scp` lists too', async () => {
    const token = await idp.sign(claims({ scope: undefined, scp: ['runs:read', 'profile'] }));
    const client = await tokenClient(mcpUrl, token);
    expect((await call(client, 'fleet_status')).isError).toBeFalsy();
    await client.close();
  });

  it.each([
    ['another audience', async () => idp.sign(claims({ aud: 'https://other.example/mcp' }))],
    ['another issuer', async () => idp.sign(claims({ iss: 'https://evil.example' }))],
    ['expired a minute ago', async () => idp.sign(claims(), { expiresIn: '-1m' })],
    ['signed by a key not in the JWKS', async () => idp.sign(claims(), { key: (await generateKeyPair('ES256')).privateKey })],
    ['no tenant claim', async () => idp.sign(claims({ 'custom:outpost_tenant': undefined }))],
    ['an unknown tenant', async () => idp.sign(claims({ 'custom:outpost_tenant': 'ten_nobody' }))],
    ['unsigned (alg none)', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims(), iss: idp.issuer, exp: 9e9 })).toString('base64url')}.`],
  ])('refuses a token: %s', async (_name, make) => {
    const { status, challenge } = await probe(mcpUrl, await make());
    expect(status).toBe(401);
    expect(challenge).toContain('error="invalid_token"');
  });
});
