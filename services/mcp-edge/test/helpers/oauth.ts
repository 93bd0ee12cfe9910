import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** A PKCE pair (S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  scope: string;
  expires_in: number;
}

/**
 * An OAuth client speaking plain HTTP to the edge, step by step, so tests can bend each step (the
 * SDK's own client, driven by Chromium, runs the whole flow in test/test/oauth-sign-in.test.ts).
 */
export class OAuthTestClient {
  clientId = '';

  constructor(
    readonly base: string,
    readonly redirectUri = 'http://127.0.0.1:59999/callback',
  ) {}

  async register(redirectUris: string[] = [this.redirectUri]): Promise<this> {
    const res = await fetch(`${this.base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'oauth-test', redirect_uris: redirectUris, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
    });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
    this.clientId = ((await res.json()) as { client_id: string }).client_id;
    return this;
  }

  /** GET /authorize; returns the raw answer (a sign-in page, a 400 or a redirect). */
  async authorize(params: Record<string, string | undefined>): Promise<Response> {
    const url = new URL(`${this.base}/authorize`);
    const all = { response_type: 'code', client_id: this.clientId, redirect_uri: this.redirectUri, code_challenge_method: 'S256', ...params };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
    return fetch(url, { redirect: 'manual' });
  }

  /** Opens the page and posts the form, as a browser would; returns the POST's answer. */
  async signIn(apiKey: string, params: Record<string, string | undefined>, options: { dropCookie?: boolean } = {}): Promise<Response> {
    const page = await this.authorize(params);
    if (page.status !== 200) throw new Error(`authorize: ${page.status} ${await page.text()}`);
    const html = await page.text();
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    if (!request) throw new Error('no request id in the sign-in page');
    return fetch(`${this.base}/oauth/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(options.dropCookie ? {} : { Cookie: cookie }) },
      body: new URLSearchParams({ request, api_key: apiKey }).toString(),
    });
  }

  /** The whole front channel: a code for `apiKey`'s tenant. */
  async code(apiKey: string, challenge: string, extra: Record<string, string | undefined> = {}): Promise<string> {
    const res = await this.signIn(apiKey, { code_challenge: challenge, state: 'st', ...extra });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
    const code = new URL(location).searchParams.get('code');
    if (!code) throw new Error(`no code in ${location}`);
    return code;
  }

  async token(body: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.base}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: this.clientId, ...body }).toString(),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async exchange(code: string, verifier: string): Promise<{ status: number; json: Record<string, unknown> }> {
    return this.token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: this.redirectUri });
  }

  /** Sign-in and exchange in one: a token pair. */
  async tokens(apiKey: string, extra: Record<string, string | undefined> = {}): Promise<TokenResponse> {
    const { verifier, challenge } = pkce();
    const out = await this.exchange(await this.code(apiKey, challenge, extra), verifier);
    if (out.status !== 200) throw new Error(`token: ${out.status} ${JSON.stringify(out.json)}`);
    return out.json as unknown as TokenResponse;
  }
}

/** POSTs an MCP initialize with a bearer: the edge's status and WWW-Authenticate. */
export async function probe(mcpUrl: string, bearer?: string): Promise<{ status: number; challenge: string | null; body: string }> {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } } }),
  });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
}

/** An MCP client acting with an access token. */
export async function tokenClient(mcpUrl: string, accessToken: string): Promise<Client> {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${accessToken}` } } }));
  return client;
}
