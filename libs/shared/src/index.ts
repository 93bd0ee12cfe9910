export { assertNever } from './assert-never.js';
export { createAwsClients, type AwsClients } from './aws-clients.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export {
  BaseEnv,
  checkBaseEnv,
  ConfigError,
  JsonText,
  loadBaseConfig,
  parseEnv,
  toBaseConfig,
  type BaseConfig,
  type Endpoints,
} from './config.js';
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
export {
  FileParameterStore,
  LOCAL_PARAMETER_FILES,
  openParameterStore,
  parameterPaths,
  SsmParameterStore,
  type ParameterStore,
} from './parameter-store.js';
export { createTableInput, provisionBucket, provisionQueues, provisionTables, type ProvisionReport } from './provision.js';
export { chainKeys, chainRootOf, followUpLink, retryLink, RunChains, type ChainLink, type RunChainsOptions } from './run-chains.js';
export { ensureIndexes, rebuildTableName, type IndexUpgrade } from './table-indexes.js';
export { QueueDirectory, sendJob } from './queues.js';
export { REDACTED, redact, StreamRedactor } from './redact.js';
export { findTokenShapedSecret, TOKEN_PATTERNS, type TokenFound, type TokenKind, type TokenPattern } from './token-patterns.js';
export {
  artifactKeys,
  bucketDefinition,
  queueDefinition,
  queueDefinitions,
  resourceNames,
  RUN_INDEX,
  tableDefinitions,
  webhookQueueDefinition,
  type BucketDefinition,
  type IndexDefinition,
  type KeyAttribute,
  type QueueDefinition,
  type ResourceNames,
  type TableDefinition,
  type TableId,
} from './resources.js';
export {
  RunStore,
  type FinishInput,
  type ListRunsPage,
  type ListRunsQuery,
  type NewRun,
  type RunEndedHook,
  type RunStoreOptions,
} from './run-store.js';
export { JobMessage, parseJobMessage } from './schemas/job-message.js';
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
} from './schemas/run.js';
export { API_KEY_PATTERN, ApiKeyRecord, IdempotencyRecord, Tenant, UsageCounter } from './schemas/tenant.js';
export { WorkerHeartbeat, WorkerState } from './schemas/worker-heartbeat.js';
export { TenantNotFoundError, TenantStore, type TenantStoreOptions } from './tenant-store.js';
export {
  DEFAULT_TIERS,
  resolveTiers,
  TIER_NAMES,
  TierLimits,
  TierName,
  TierTable,
  type TierOverrides,
} from './tiers.js';
export { monthResetsAt, QuotaExceededError, SpendLimitReachedError, UsageStore, type MonthlySpend, type UsageStoreOptions } from './usage-store.js';
export { FleetState, WorkerRegistry, type WorkerRegistryOptions } from './worker-registry.js';
export { openStores, type Stores } from './stores.js';
export { IdempotencyStore, type IdempotencyClaim, type IdempotencyStoreOptions } from './idempotency-store.js';
export { AGENT_SECRETS, SECRET_NAMES, SECRET_PROVIDER, SecretName, secretsFromParameters, type AgentSecretRequirement, type SecretEnvBinding } from './secret-names.js';
export { ARTIFACT_TIER_TAG, artifactTagging } from './artifact-retention.js';
export { ApiKeyNotFoundError } from './tenant-store.js';
export { branchNameProblem, defaultPromoteBranch, MAX_BRANCH_LENGTH } from './branch-name.js';
export { checkRef, InvalidRepoError, isCommitSha, MAX_REF_LENGTH, MAX_REPO_LENGTH, parseRepo, type RepoSpec } from './repo-spec.js';
export { endpointsPath, loadAdminConfig, LocalEndpoints, withLocalEndpoints, writeLocalEndpoints } from './local-endpoints.js';
export { credentialsPath, LocalCredentials, newLocalCredentials, readLocalCredentials, writeLocalCredentials, writePrivateFile } from './local-credentials.js';
export { stopWhenParentExits } from './parent-watch.js';
export { ActiveTenantMarks } from './active-tenant-marks.js';
export { Provider, PROVIDER_BASE_URL_ENV, PROVIDERS, VENDOR_BASE_URLS } from './providers.js';
export { AGENT_CLIS_FILE, agentBinPath, agentCacheDir, AgentCliPin, AgentCliPins, agentCliPins, agentInstallDir, installedAgentBins, REAL_CLI_UNTESTED } from './agent-clis.js';
export { costOf, DEFAULT_PRICES, ModelPrice, PriceTable, priceFor } from './prices.js';
export { SessionRecord, SessionStore, sessionHash, type SessionStoreOptions } from './session-store.js';
export {
  buildRunPayload,
  dashboardUrlFor,
  DEFAULT_WEBHOOK_EVENTS,
  runSummaryLine,
  terminalEvent,
  WEBHOOK_EVENT_TYPES,
  WebhookEventType,
  WebhookPayload,
  WebhookRun,
  webhookIdFor,
} from './webhooks/events.js';
export {
  maskWebhookUrl,
  newSigningSecret,
  newWebhookEndpointId,
  WEBHOOK_ENDPOINT_ID_PATTERN,
  WebhookEndpoint,
  WebhookEndpointKind,
  webhookSecretPath,
  webhookUrlProblem,
} from './webhooks/endpoint.js';
export { MAX_SQS_DELAY_SECONDS, parseWebhookMessage, sendWebhookMessage, WebhookMessage } from './webhooks/message.js';
export { OUTBOX_SHARDS, OutboxStore, withOutboxMark, type PendingEvents } from './webhooks/outbox.js';
export { DISABLE_AFTER_MS, WebhookEndpointNotFoundError, WebhookEndpointStore, type WebhookEndpointStoreOptions } from './webhooks/endpoint-store.js';
export { DELIVERY_RETENTION_DAYS, DeliveryOutcome, WebhookDelivery, WebhookDeliveryStore, type NewDelivery } from './webhooks/delivery-store.js';
