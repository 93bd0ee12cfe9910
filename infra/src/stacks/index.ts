export { Alarms, RUNS_FINISHED_METRIC } from './alarms.js';
export { Compute, EDGE_PORT, serviceNames, STOP_TIMEOUT_SECONDS, WORKER_SERVICE_PATTERN, type ComputeProps, type ServiceId } from './compute.js';
export { DEFAULT_COLLECTOR_IMAGE, resolveStackConfig, StackConfig, stackConfigFromEnv, type ResolvedStackConfig, type StackConfigInput, type TaskSize } from './config.js';
export { artifactLifecycleRules, Data, type TierQueues } from './data.js';
export { dispatcherStatements, edgeStatements, executionStatements, TaskRole, workerStatements, type ArnContext, type Statement } from './iam.js';
export { AZ_COUNT, Network, subnetCidr } from './network.js';
export { OutpostStack } from './outpost-stack.js';
export { synthOutpost, type SynthResult } from './synth-app.js';
export {
  COLLECTOR_CONFIG_ENV,
  COLLECTOR_TOKEN_ENV,
  collectorConfig,
  CollectorToken,
  collectorTokenStatement,
  METRIC_DECLARATIONS,
  METRICS_NAMESPACE,
  OTLP_ENDPOINT,
  OTLP_HEADERS_ENV,
  ServiceTelemetry,
  telemetryStatements,
  type CollectorConfig,
  type OtelServiceName,
} from './telemetry.js';
