import {
  API,
  CancelRunResponse,
  DispatchResponse,
  FleetResponse,
  ListRunsResponse,
  PromoteResponse,
  RunDetailResponse,
  SessionInfo,
  SignOutResponse,
  type DispatchRequest,
  type PromoteRequest,
} from '@outpost/dashboard-api';
import { AGENT_NAMES, RunStatus } from '@outpost/shared/run-schema';
import { requestJson, requestText } from './http.js';

export { RunView, type RunDetailResponse, type TimelineEvent, type ArtifactInfo } from '@outpost/dashboard-api';
export type { RunStatus } from '@outpost/shared/run-schema';
export { DispatchRequest, LogEvent, type FleetResponse, type PromoteResponse } from '@outpost/dashboard-api';
export type Session = SessionInfo;

export const RUN_STATUSES = RunStatus.options;
export const AGENTS = AGENT_NAMES;

/** Run-list filters as the query string carries them. */
export interface RunFilters {
  status?: string;
  agent?: string;
  tag?: string;
  repo?: string;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Every call the pages make, each parsed with the contract's schema. */
export const api = {
  paths: API,
  getSession: () => requestJson(API.session, SessionInfo),
  signIn: (apiKey: string) => requestJson(API.session, SessionInfo, { method: 'POST', body: { apiKey } }),
  signOut: () => requestJson(API.session, SignOutResponse, { method: 'DELETE' }),
  listRuns: (filters: RunFilters, cursor?: string, signal?: AbortSignal) =>
    requestJson(`${API.runs}${query({ ...filters, cursor })}`, ListRunsResponse, signal ? { signal } : {}),
  getRun: (id: string, signal?: AbortSignal) => requestJson(API.run(id), RunDetailResponse, signal ? { signal } : {}),
  getPatch: (id: string, signal?: AbortSignal) => requestText(API.runPatch(id), signal),
  cancel: (id: string) => requestJson(API.runCancel(id), CancelRunResponse, { method: 'POST', body: {} }),
  promote: (id: string, body: Partial<PromoteRequest>) =>
    requestJson(API.runPromote(id), PromoteResponse, { method: 'POST', body }),
  dispatch: (body: DispatchRequest) => requestJson(API.dispatch, DispatchResponse, { method: 'POST', body }),
  fleet: (signal?: AbortSignal) => requestJson(API.fleet, FleetResponse, signal ? { signal } : {}),
};
