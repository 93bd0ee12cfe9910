import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { TIER_NAMES, type TableId, type TierName } from '@outpost/shared';
import type { Data } from './data.js';
import { collectorTokenStatement } from './telemetry.js';
import { workerWebhookDeny } from './webhook-iam.js';

/** One IAM policy statement, as JSON. */
export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Where ARNs that need the account or partition come from (data sources resolved at plan time). */
export interface ArnContext {
  partition: string;
  region: string;
  account: string;
  env: string;
  clusterName: string;
  /** ECS service name of each tier's workers. */
  workerServices: Record<TierName, string>;
  /** Log group ARNs the execution role writes to. */
  logGroupArns: string[];
  repositoryArns: string[];
}

const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const TABLE_SIDS: Record<TableId, string> = {
  runs: 'Runs',
  tenants: 'Tenants',
  apiKeys: 'ApiKeys',
  usage: 'Usage',
  idempotency: 'Idempotency',
  workers: 'Workers',
  sessions: 'Sessions',
  webhookEndpoints: 'WebhookEndpoints',
  webhookDeliveries: 'WebhookDeliveries',
  oauth: 'OAuth',
};

function tableStatement(data: Data, id: TableId, actions: string[], sidPrefix: string): Statement {
  const arn = data.tables[id].arn;
  return {
    Sid: `${sidPrefix}${TABLE_SIDS[id]}`,
    Effect: 'Allow',
    Action: actions,
    // Queries on a GSI authorize against the index ARN, not the table's.
    Resource: data.tableDefs[id].indexes.length ? [arn, `${arn}/index/*`] : [arn],
  };
}

const ssmArn = (c: ArnContext, path: string) => `arn:${c.partition}:ssm:${c.region}:${c.account}:parameter${path}`;

/** The MCP edge: tenants, keys, admission and runs; sends jobs; presigns artifact reads; lists secret names. */
export function edgeStatements(data: Data, c: ArnContext): Statement[] {
  return [
    ...(['runs', 'tenants', 'apiKeys', 'usage', 'idempotency', 'sessions', 'oauth'] as const).map((id) =>
      tableStatement(data, id, [...READ, ...WRITE], 'Table'),
    ),
    tableStatement(data, 'workers', READ, 'Read'),
    {
      Sid: 'SendJobs',
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
      Resource: TIER_NAMES.map((t) => data.queues[t].jobs.arn),
    },
    {
      // GetObject backs the presigned URLs clients get; PutObject stores tasks too large for a run item.
      Sid: 'TenantArtifacts',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [`${data.bucket.arn}/${data.bucketDef.tenantPrefix}*`],
    },
    {
      // dispatch refuses an agent whose secret a tenant has not stored. It reads with
      // WithDecryption false and holds no kms:Decrypt, so it sees names and ciphertext, never a key.
      Sid: 'TenantSecretNames',
      Effect: 'Allow',
      Action: ['ssm:GetParametersByPath'],
      Resource: [ssmArn(c, `/outpost/${c.env}/tenants`), ssmArn(c, `/outpost/${c.env}/tenants/*`)],
    },
  ];
}

/** A tier's worker: its own queue, run updates under its lease, artifacts, tenants' secrets, task protection. */
export function workerStatements(data: Data, c: ArnContext, tier: TierName, secretsKeyArn: string): Statement[] {
  return [
    {
      Sid: 'ConsumeTierQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
      Resource: [data.queues[tier].jobs.arn],
    },
    tableStatement(data, 'runs', ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], 'Update'),
    tableStatement(data, 'workers', [...READ, ...WRITE], 'Table'),
    tableStatement(data, 'usage', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], 'Table'),
    {
      Sid: 'WriteArtifacts',
      Effect: 'Allow',
      // PutObjectTagging: artifacts carry the tier tag the lifecycle rules expire by. GetObject: large tasks.
      Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:AbortMultipartUpload'],
      Resource: [`${data.bucket.arn}/${data.bucketDef.tenantPrefix}*`],
    },
    {
      Sid: 'TenantSecrets',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      Resource: [ssmArn(c, `/outpost/${c.env}/tenants`), ssmArn(c, `/outpost/${c.env}/tenants/*`)],
    },
    {
      Sid: 'DecryptTenantSecrets',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [secretsKeyArn],
      Condition: { StringEquals: { 'kms:ViaService': `ssm.${c.region}.amazonaws.com` } },
    },
    {
      // The ECS agent endpoint ($ECS_AGENT_URI/task-protection/v1/state) calls these with the task role.
      Sid: 'TaskScaleInProtection',
      Effect: 'Allow',
      Action: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
      Resource: [`arn:${c.partition}:ecs:${c.region}:${c.account}:task/${c.clusterName}/*`],
    },
    workerWebhookDeny(c),
  ];
}

/** The dispatcher: queue depth, DLQ drain, re-sends, worker service counts, run recovery, fleet overrides. */
export function dispatcherStatements(data: Data, c: ArnContext): Statement[] {
  return [
    {
      Sid: 'TierQueues',
      Effect: 'Allow',
      Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
      Resource: TIER_NAMES.map((t) => data.queues[t].jobs.arn),
    },
    {
      Sid: 'DrainDeadLetters',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      Resource: TIER_NAMES.map((t) => data.queues[t].dlq.arn),
    },
    tableStatement(data, 'runs', ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], 'Recover'),
    tableStatement(data, 'usage', [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'], 'Table'),
    tableStatement(data, 'workers', [...READ, ...WRITE], 'Table'),
    {
      Sid: 'ScaleWorkers',
      Effect: 'Allow',
      Action: ['ecs:UpdateService', 'ecs:DescribeServices'],
      Resource: TIER_NAMES.map(
        (t) => `arn:${c.partition}:ecs:${c.region}:${c.account}:service/${c.clusterName}/${c.workerServices[t]}`,
      ),
    },
    {
      Sid: 'FleetOverrides',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      Resource: [ssmArn(c, `/outpost/${c.env}/fleet`), ssmArn(c, `/outpost/${c.env}/fleet/*`)],
    },
  ];
}

/** What ECS itself needs to start a task: pull the image, write its logs, read the collector token (with telemetry). */
export function executionStatements(c: ArnContext, collectorTokenArn?: string): Statement[] {
  return [
    // GetAuthorizationToken has no resource-level permissions: AWS requires "*" here.
    { Sid: 'EcrToken', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
    {
      Sid: 'PullImages',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: c.repositoryArns,
    },
    {
      Sid: 'WriteLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: c.logGroupArns.map((arn) => `${arn}:*`),
    },
    ...(collectorTokenArn ? [collectorTokenStatement(collectorTokenArn)] : []),
  ];
}

/** An ECS task role (or execution role) with one inline policy. */
export class TaskRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: { name: string; account: string; statements: Statement[] }) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused-deputy guard: only ECS acting for this account may assume the role.
            Condition: { StringEquals: { 'aws:SourceAccount': props.account } },
          },
        ],
      }),
    });
    new IamRolePolicy(this, 'policy', {
      name: props.name,
      role: this.role.id,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: props.statements }),
    });
  }
}
