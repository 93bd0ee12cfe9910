import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BucketDefinition, KeyAttribute, QueueDefinition, TableDefinition } from './resources.js';
import { ensureIndexes } from './table-indexes.js';

/** What provisioning did to each resource, for a one-line report. */
export interface ProvisionReport {
  created: string[];
  existing: string[];
}

/** CreateTable input for a definition (on-demand billing). */
export function createTableInput(def: TableDefinition): CreateTableCommandInput {
  const attrs = new Map<string, KeyAttribute>();
  const add = (k?: KeyAttribute) => k && attrs.set(k.name, k);
  add(def.partitionKey);
  add(def.sortKey);
  def.indexes.forEach((i) => (add(i.partitionKey), add(i.sortKey)));
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: def.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attrs.values()].map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    ...(def.indexes.length
      ? {
          GlobalSecondaryIndexes: def.indexes.map((i) => ({
            IndexName: i.name,
            KeySchema: keySchema(i.partitionKey, i.sortKey),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/** Creates missing tables; existing ones get the indexes they lack. TTL is set where the backend supports it. */
export async function provisionTables(client: DynamoDBClient, defs: readonly TableDefinition[], report = emptyReport()): Promise<ProvisionReport> {
  for (const def of defs) {
    try {
      await client.send(new CreateTableCommand(createTableInput(def)));
      report.created.push(`table ${def.name}`);
    } catch (err) {
      if (!(err instanceof Error) || err.name !== 'ResourceInUseException') throw err;
      const upgrade = await ensureIndexes(client, def);
      if (upgrade.action === 'none') report.existing.push(`table ${def.name}`);
      else report.created.push(`indexes ${upgrade.added.join(', ')} on table ${def.name} (${upgrade.action})`);
      continue;
    }
    await waitForTable(client, def.name);
    // A rebuild that stopped after dropping the table left its items in a side table: restore them.
    await ensureIndexes(client, def);
    if (def.ttlAttribute) {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: def.name, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } }),
        );
      } catch (err) {
        // dynalite has no TTL API; readers already ignore expired items, so this is not fatal.
        if (!(err instanceof Error) || !/UnknownOperation|not supported|UnrecognizedClient/i.test(`${err.name} ${err.message}`)) throw err;
      }
    }
  }
  return report;
}

async function waitForTable(client: DynamoDBClient, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/** Creates each tier's DLQ and job queue (with redrive); CreateQueue is idempotent for equal attributes. */
export async function provisionQueues(client: SQSClient, defs: readonly Omit<QueueDefinition, 'tier'>[], report = emptyReport()): Promise<ProvisionReport> {
  for (const def of defs) {
    const dlq = await client.send(
      new CreateQueueCommand({ QueueName: def.dlqName, Attributes: { MessageRetentionPeriod: String(def.dlqRetentionSeconds) } }),
    );
    const dlqAttrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    const dlqArn = dlqAttrs.Attributes?.QueueArn;
    if (!dlqArn) throw new Error(`queue ${def.dlqName} has no ARN`);
    await client.send(
      new CreateQueueCommand({
        QueueName: def.name,
        Attributes: {
          VisibilityTimeout: String(def.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(def.messageRetentionSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: def.maxReceiveCount }),
        },
      }),
    );
    report.existing.push(`queues ${def.name}, ${def.dlqName}`);
  }
  return report;
}

/** Creates the artifact bucket if it is missing. */
export async function provisionBucket(client: S3Client, def: BucketDefinition, report = emptyReport()): Promise<ProvisionReport> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: def.name }));
    report.existing.push(`bucket ${def.name}`);
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: def.name }));
    report.created.push(`bucket ${def.name}`);
  }
  return report;
}

function emptyReport(): ProvisionReport {
  return { created: [], existing: [] };
}
