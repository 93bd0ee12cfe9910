export { assertNever } from './assert-never.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export {
  InvalidCursorError,
  isConditionalCheckFailed,
  LeaseLostError,
  LeaseRefusedError,
  RunExistsError,
  RunNotFoundError,
  TransitionRefusedError,
  type LeaseRefusal,
} from './errors.js';
export { newRunId, newTenantId, newToken, newWorkerId, RUN_ID_PATTERN, runIdTime, sha256Hex, TENANT_ID_PATTERN } from './ids.js';
export { createLogger, runLogger, silentLogger, type Logger, type LoggerOptions } from './logger.js';
