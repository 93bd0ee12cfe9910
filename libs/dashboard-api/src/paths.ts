/** Route paths of the dashboard API; `:id` and `:name` are path parameters. */
export const API = {
  session: '/api/session',
  runs: '/api/runs',
  runEvents: '/api/runs/events',
  run: (id: string) => `/api/runs/${encodeURIComponent(id)}`,
  runLog: (id: string) => `/api/runs/${encodeURIComponent(id)}/log`,
  runLogStream: (id: string) => `/api/runs/${encodeURIComponent(id)}/log/stream`,
  runPatch: (id: string) => `/api/runs/${encodeURIComponent(id)}/patch`,
  runArtifact: (id: string, name: string) => `/api/runs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`,
  runCancel: (id: string) => `/api/runs/${encodeURIComponent(id)}/cancel`,
  runPromote: (id: string) => `/api/runs/${encodeURIComponent(id)}/promote`,
  dispatch: '/api/dispatch',
  fleet: '/api/fleet',
} as const;

/** Page routes the edge answers with the web app's index.html. */
export const PAGE_ROUTES = ['/', '/sign-in', '/runs', '/runs/:id', '/fleet', '/dispatch'] as const;

/** The session cookie's name (HttpOnly: the page never reads it). */
export const SESSION_COOKIE = 'outpost_session';

/** The header every state-changing request carries, equal to the session's csrfToken. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** SSE event names of the log stream and the runs events stream. */
export const SSE_EVENTS = { log: 'log', status: 'status', end: 'end', run: 'run' } as const;
