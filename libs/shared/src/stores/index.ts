export { chainKeys, chainRootOf, followUpLink, retryLink, RunChains, type ChainLink, type RunChainsOptions } from './run-chains.js';
export {
  RunStore,
  type FinishInput,
  type ListRunsPage,
  type ListRunsQuery,
  type NewRun,
  type RunEndedHook,
  type RunStoreOptions,
} from './run-store.js';
export { TenantNotFoundError, TenantStore, type TenantStoreOptions } from './tenant-store.js';
export { monthResetsAt, QuotaExceededError, SpendLimitReachedError, UsageStore, type MonthlySpend, type UsageStoreOptions } from './usage-store.js';
export { FleetState, WorkerRegistry, type WorkerRegistryOptions } from './worker-registry.js';
export { openStores, type Stores } from './stores.js';
export { IdempotencyStore, type IdempotencyClaim, type IdempotencyStoreOptions } from './idempotency-store.js';
export { ApiKeyNotFoundError } from './tenant-store.js';
export { ActiveTenantMarks } from './active-tenant-marks.js';
export { SessionRecord, SessionStore, sessionHash, type SessionStoreOptions } from './session-store.js';
