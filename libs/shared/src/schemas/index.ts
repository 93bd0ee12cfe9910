export { JobMessage, parseJobMessage } from './job-message.js';
export {
  ACTIVE_STATUSES,
  AGENT_NAMES,
  AgentName,
  ArtifactName,
  ArtifactRef,
  Continuation,
  isTerminal,
  Promotion,
  PromotionStatus,
  PublicRun,
  RunError,
  RunErrorCode,
  RunRecord,
  RunSpendView,
  RunStatus,
  RunSummary,
  Tags,
  TERMINAL_STATUSES,
  TerminalStatus,
  toPublicRun,
  Usage,
} from './run.js';
export { API_KEY_PATTERN, ApiKeyRecord, IdempotencyRecord, Tenant, UsageCounter } from './tenant.js';
export { WorkerHeartbeat, WorkerState } from './worker-heartbeat.js';
