export { API, CSRF_HEADER, PAGE_ROUTES, SESSION_COOKIE, SSE_EVENTS } from './paths.js';
export { ApiError, ApiErrorCode, ERROR_STATUS } from './errors.js';
export { SessionInfo, SignInRequest, SignOutResponse } from './session.js';
export {
  ArtifactInfo,
  CancelRunResponse,
  ListRunsQuery,
  ListRunsResponse,
  PromoteRequest,
  RunDetailResponse,
  RunId,
  RunView,
  TagPair,
  TimelineEvent,
  TimelineEventKind,
} from './runs.js';
export { DispatchRequest, DispatchResponse, PromoteResponse } from './actions.js';
export { EndEvent, LogEvent, RunEvent, StatusEvent } from './events.js';
export { FleetAgent, FleetHistoryPoint, FleetResponse, FleetTier, FleetUsage, UsedOf } from './fleet.js';
export { AgentName, ArtifactName, RunStatus, TierName, TERMINAL_STATUSES, type Promotion } from '@outpost/shared/run-schema';
