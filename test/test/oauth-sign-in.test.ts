import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { startEdge, type Edge } from '@outpost/mcp-edge';
import { openStores } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { browserSuiteSkipReason, launchChromium, newSession, screenshot, type ChromiumHandle } from './dashboard/helpers/browser.js';

/** The SDK's client side of OAuth, kept in memory; the browser part is handed to `open`. */
class InMemoryOAuthClient implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  private verifier = '';
  constructor(
    readonly redirectUrl: string,
    private readonly open: (url: URL) => Promise<void>,
  ) {}
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK test client', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  async redirectToAuthorization(url: URL) {
    await this.open(url);
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** The client's redirect target: a loopback server that keeps the code it is sent. */
async function callbackServer(): Promise<{ server: Server; url: string; codes: string[] }> {
  const codes: string[] = [];
  const server = createServer((req, res) => {
    const code = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('code');
    if (code) codes.push(code);
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p id="done">Signed in. You can close this tab.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, codes };
}

const skip = browserSuiteSkipReason();
if (skip) process.stderr.write(`${skip}\n`);
const suite = skip ? describe.skip : describe;

suite('OAuth sign-in: the SDK client with Chromium on the sign-in page', () => {
  let home: string;
  let stack: TestStack;
  let edge: Edge;
  let apiKey: string;
  let chromium: ChromiumHandle;
  let callback: Awaited<ReturnType<typeof callbackServer>>;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-oauth-'));
    stack = await startTestStack({ home });
    edge = await startEdge({ config: { ...stack.config, port: 0, host: '127.0.0.1' }, clients: stack.clients });
    const stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'oauth-browser', tier: 'pro' });
    apiKey = (await stores.tenants.createApiKey(tenant.tenantId, 'test')).apiKey;
    chromium = await launchChromium();
    callback = await callbackServer();
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    callback?.server.close();
    await edge?.close(1_000);
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('discovers, registers, signs in once in the browser, then lists and calls tools with the token', async () => {
    const { context, page, violations } = await newSession(chromium.browser, edge.url);
    const provider = new InMemoryOAuthClient(callback.url, async (url) => {
      await page.goto(url.href);
      await page.getByLabel('Your Outpost API key').fill(apiKey);
      await screenshot(page, 'oauth-sign-in');
      await Promise.all([page.waitForURL((u) => u.href.startsWith(callback.url)), page.getByRole('button', { name: 'Sign in' }).click()]);
    });
    const mcpUrl = new URL(`${edge.url}/mcp`);
    const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    // The first connect meets the 401, runs discovery and registration, and sends the person to sign in.
    await expect(new Client({ name: 'sdk-oauth', version: '1.0.0' }).connect(first)).rejects.toThrow(UnauthorizedError);
    expect(callback.codes).toHaveLength(1);
    expect(page.url()).not.toContain(apiKey);
    await first.finishAuth(callback.codes[0] ?? '');
    expect(provider.saved?.access_token).toMatch(/^opoa_/);
    expect(provider.saved?.scope).toBe('runs:read runs:write promote');

    const client = new Client({ name: 'sdk-oauth', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['dispatch', 'fleet_status', 'get_run']));
    const status = await client.callTool({ name: 'fleet_status', arguments: {} });
    expect(status.isError).toBeFalsy();
    await client.close();
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows a wrong key as an error on the page, and no code reaches the client', async () => {
    const { context, page } = await newSession(chromium.browser, edge.url);
    const before = callback.codes.length;
    const provider = new InMemoryOAuthClient(callback.url, async (url) => {
      await page.goto(url.href);
      await page.getByLabel('Your Outpost API key').fill('op_test_wrongwrongwrongwrongwrongwrong');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#error').waitFor();
    });
    await expect(new Client({ name: 'sdk-oauth', version: '1.0.0' }).connect(new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { authProvider: provider }))).rejects.toThrow(UnauthorizedError);
    expect(await page.locator('#error').textContent()).toBe('Unknown or revoked API key.');
    expect(callback.codes.length).toBe(before);
    await context.close();
  }, 120_000);
});
