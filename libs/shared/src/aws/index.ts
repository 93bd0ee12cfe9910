export { createAwsClients, type AwsClients } from './aws-clients.js';
export {
  FileParameterStore,
  LOCAL_PARAMETER_FILES,
  openParameterStore,
  parameterPaths,
  SsmParameterStore,
  type ParameterStore,
} from './parameter-store.js';
export { createTableInput, provisionBucket, provisionQueues, provisionTables, type ProvisionReport } from './provision.js';
export { ensureIndexes, rebuildTableName, type IndexUpgrade } from './table-indexes.js';
export { QueueDirectory, sendJob } from './queues.js';
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
export { ARTIFACT_TIER_TAG, artifactTagging } from './artifact-retention.js';
