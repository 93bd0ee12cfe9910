import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EdgeDeps, ToolDeps } from '../deps.js';
import type { FleetHistory } from './fleet-history.js';
import type { DashboardSessions, SignedIn } from './session.js';
import type { StaticFiles } from './static.js';

/** What the dashboard's routes share, for one edge process. */
export interface DashboardDeps {
  edge: EdgeDeps;
  sessions: DashboardSessions;
  files: StaticFiles;
  history: FleetHistory;
  /** How often streams re-read the run and its log. @default 500 */
  pollMs: number;
  /** SSE heartbeat interval. @default 15_000 */
  heartbeatMs: number;
}

/** One signed-in API request. */
export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  signedIn: SignedIn;
  /** The tool deps of the session's tenant: the same domain code the MCP tools run. */
  tool: ToolDeps;
}

/** The ToolDeps of a signed-in tenant. */
export function toolDeps(edge: EdgeDeps, signedIn: SignedIn): ToolDeps {
  return { ...edge, tenant: signedIn.tenant, logger: edge.logger.child({ tenantId: signedIn.tenant.tenantId }) };
}
