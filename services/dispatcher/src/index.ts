export { ActiveCounterReconciler, type CounterReport } from './active-counters.js';
export { readBacklog, type Backlog } from './backlog.js';
export { DispatcherEnv, loadDispatcherConfig, type DispatcherConfig } from './config.js';
export { drainDeadLetters, type DeadLetterDeps, type DeadLetterReport } from './dead-letters.js';
export { Dispatcher, type DispatcherOptions, type TierTickReport } from './dispatcher.js';
export { EcsScaler, EcsServiceNotFoundError, type EcsScalerOptions } from './ecs-scaler.js';
export {
  FLEET_USAGE,
  fleetStatus,
  formatFleetStatus,
  parseFleetArgs,
  setFleetOverride,
  type FleetCommand,
  type TierStatus,
} from './fleet-admin.js';
export { FleetOverride, readFleetOverrides, resolveFleetBounds, writeFleetOverride, type FleetBounds } from './fleet-overrides.js';
export { LocalScaler, WorkerEntryMissingError, type LocalScalerOptions } from './local-scaler.js';
export { reapExpiredLeases, resendStaleQueued, type LeaseReport, type RecoveryDeps } from './recovery.js';
export { DEFAULT_WORKER_ENTRY, localFleetFile, openFleetParams, openScaler } from './runtime.js';
export type { PoolObservation, Scaler } from './scaler.js';
export { ScalingPolicy, wantedWorkers, type ScaleDecision, type ScaleInput } from './scaling-policy.js';
export { WebhookRelay, type RelayReport, type WebhookRelayOptions } from './webhook-relay.js';
export { openWebhookRelay } from './webhook-wiring.js';
