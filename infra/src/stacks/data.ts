import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import {
  ARTIFACT_TIER_TAG,
  bucketDefinition,
  createTableInput,
  queueDefinitions,
  tableDefinitions,
  TIER_NAMES,
  type BucketDefinition,
  type QueueDefinition,
  type TableDefinition,
  type TableId,
  type TierName,
} from '@outpost/shared';
import type { ResolvedStackConfig } from './config.js';

/** A tier's job queue and its dead-letter queue. */
export interface TierQueues {
  definition: QueueDefinition;
  jobs: SqsQueue;
  dlq: SqsQueue;
}

/**
 * Tables, per-tier queues and the artifact bucket, rendered from the shared definitions (the
 * objects the local provisioner reads), plus the KMS key tenants' SSM secrets are encrypted with.
 */
export class Data extends Construct {
  readonly tables: Record<TableId, DynamodbTable>;
  readonly tableDefs: Record<TableId, TableDefinition>;
  readonly queues: Record<TierName, TierQueues>;
  readonly bucket: S3Bucket;
  readonly bucketDef: BucketDefinition;
  readonly secretsKey: KmsKey;
  readonly secretsKeyAlias: string;

  constructor(scope: Construct, id: string, config: ResolvedStackConfig) {
    super(scope, id);
    this.tableDefs = tableDefinitions(config.prefix);
    this.tables = {} as Record<TableId, DynamodbTable>;
    for (const def of Object.values(this.tableDefs)) this.tables[def.id] = this.table(def);

    this.queues = {} as Record<TierName, TierQueues>;
    for (const def of queueDefinitions(config.prefix)) this.queues[def.tier] = this.tierQueues(def);

    this.bucketDef = bucketDefinition(config.prefix);
    this.bucket = this.artifactBucket(this.bucketDef, config);

    this.secretsKeyAlias = `alias/${config.prefix}-secrets`;
    this.secretsKey = new KmsKey(this, 'secrets-key', {
      description: `Tenants' BYOK secrets in SSM under /outpost/${config.env}/tenants/`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, 'secrets-key-alias', { name: this.secretsKeyAlias, targetKeyId: this.secretsKey.keyId });
  }

  private table(def: TableDefinition): DynamodbTable {
    // createTableInput is what the local provisioner sends, so attributes and keys match exactly.
    const input = createTableInput(def);
    return new DynamodbTable(this, `table-${def.id}`, {
      name: def.name,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: def.partitionKey.name,
      ...(def.sortKey ? { rangeKey: def.sortKey.name } : {}),
      attribute: (input.AttributeDefinitions ?? []).map((a) => ({ name: a.AttributeName!, type: a.AttributeType! })),
      globalSecondaryIndex: def.indexes.map((i) => ({
        name: i.name,
        hashKey: i.partitionKey.name,
        ...(i.sortKey ? { rangeKey: i.sortKey.name } : {}),
        projectionType: 'ALL',
      })),
      ...(def.ttlAttribute ? { ttl: { attributeName: def.ttlAttribute, enabled: true } } : {}),
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: true,
    });
  }

  private tierQueues(def: QueueDefinition): TierQueues {
    const dlq = new SqsQueue(this, `${def.tier}-dlq`, {
      name: def.dlqName,
      messageRetentionSeconds: def.dlqRetentionSeconds,
      sqsManagedSseEnabled: true,
    });
    const jobs = new SqsQueue(this, `${def.tier}-jobs`, {
      name: def.name,
      visibilityTimeoutSeconds: def.visibilityTimeoutSeconds,
      messageRetentionSeconds: def.messageRetentionSeconds,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: def.maxReceiveCount }),
    });
    return { definition: def, jobs, dlq };
  }

  private artifactBucket(def: BucketDefinition, config: ResolvedStackConfig): S3Bucket {
    const bucket = new S3Bucket(this, 'artifacts', { bucket: def.name, forceDestroy: false });
    new S3BucketPublicAccessBlock(this, 'artifacts-public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'artifacts-ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    // SSE-S3: presigned GETs work without handing clients KMS permissions.
    new S3BucketServerSideEncryptionConfiguration(this, 'artifacts-sse', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    new S3BucketPolicy(this, 'artifacts-tls-only', {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
    new S3BucketLifecycleConfiguration(this, 'artifacts-lifecycle', {
      bucket: bucket.id,
      rule: artifactLifecycleRules(def, config),
    });
    return bucket;
  }
}

/**
 * Keys do not name the tier, so each tier's rule matches the ARTIFACT_TIER_TAG object tag the
 * worker sets; a catch-all rule expires untagged objects after the longest retention. Where two
 * rules match, the earlier expiration wins, so a tagged object lives exactly its tier's retention.
 */
export function artifactLifecycleRules(def: BucketDefinition, config: ResolvedStackConfig) {
  const days = TIER_NAMES.map((t) => config.tierTable[t].retentionDays);
  return [
    ...TIER_NAMES.map((tier) => ({
      id: `expire-${tier}`,
      status: 'Enabled',
      filter: [{ and: [{ prefix: def.tenantPrefix, tags: { [ARTIFACT_TIER_TAG]: tier } }] }],
      expiration: [{ days: config.tierTable[tier].retentionDays }],
    })),
    {
      id: 'expire-untagged',
      status: 'Enabled',
      filter: [{ prefix: def.tenantPrefix }],
      expiration: [{ days: Math.max(...days) }],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
    },
  ];
}
