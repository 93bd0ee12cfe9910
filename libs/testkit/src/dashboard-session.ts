import { API, SessionInfo, SESSION_COOKIE } from '@outpost/dashboard-api';

/** A signed-in browser, as far as the server can tell: the cookie and the CSRF token. */
export interface BrowserSession {
  cookie: string;
  csrf: string;
  info: SessionInfo;
  setCookie: string;
}

/** Signs in to the dashboard with an API key the way the web app does. */
export async function signIn(baseUrl: string, apiKey: string): Promise<BrowserSession> {
  const res = await fetch(`${baseUrl}${API.session}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: baseUrl },
    body: JSON.stringify({ apiKey }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const value = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(setCookie)?.[1];
  if (!value) throw new Error(`no session cookie in ${setCookie}`);
  const info = SessionInfo.parse(await res.json());
  return { cookie: `${SESSION_COOKIE}=${value}`, csrf: info.csrfToken, info, setCookie };
}

/** A dashboard API call with the session's cookie, and its CSRF token on state-changing methods. */
export function api(baseUrl: string, s: BrowserSession | undefined, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}${route}`, {
    method,
    headers: {
      ...(s ? { Cookie: s.cookie } : {}),
      ...(s && method !== 'GET' ? { 'X-CSRF-Token': s.csrf } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
