import {
  bucketDefinition,
  provisionBucket,
  provisionQueues,
  provisionTables,
  queueDefinitions,
  tableDefinitions,
  webhookQueueDefinition,
  type AwsClients,
  type ProvisionReport,
} from '@outpost/shared';

/** Creates every table, queue and the bucket from the shared definitions; safe to run again. */
export async function provisionAll(clients: Pick<AwsClients, 'dynamo' | 'sqs' | 's3'>, prefix: string): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], existing: [] };
  await provisionTables(clients.dynamo, Object.values(tableDefinitions(prefix)), report);
  await provisionQueues(clients.sqs, [...queueDefinitions(prefix), webhookQueueDefinition(prefix)], report);
  await provisionBucket(clients.s3, bucketDefinition(prefix), report);
  return report;
}
