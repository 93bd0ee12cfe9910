import type { Data } from './data.js';
import type { ArnContext, Statement } from './iam.js';

const ssmArn = (c: ArnContext, path: string) => `arn:${c.partition}:ssm:${c.region}:${c.account}:parameter${path}`;
const tableArn = (data: Data, id: 'runs' | 'webhookEndpoints' | 'webhookDeliveries') => data.tables[id].arn;

/** The notifier: its queue (retries are sends), endpoints (state), deliveries (every attempt), webhook secrets and nothing else. */
export function notifierStatements(data: Data, c: ArnContext, queueArn: string, secretsKeyArn: string): Statement[] {
  return [
    {
      Sid: 'ConsumeWebhooks',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
      Resource: [queueArn],
    },
    { Sid: 'EndpointState', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: [tableArn(data, 'webhookEndpoints')] },
    { Sid: 'RecordDeliveries', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: [tableArn(data, 'webhookDeliveries')] },
    { Sid: 'WebhookSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [ssmArn(c, `/outpost/${c.env}/webhooks/*`)] },
    {
      Sid: 'DecryptWebhookSecrets',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [secretsKeyArn],
      Condition: { StringEquals: { 'kms:ViaService': `ssm.${c.region}.amazonaws.com` } },
    },
  ];
}

/** Added to the dispatcher, whose tick runs the relay: read the outbox (runs GSI, already granted) and endpoints, send to the webhooks queue. */
export function webhookRelayStatements(data: Data, queueArn: string): Statement[] {
  return [
    { Sid: 'RelayEndpoints', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [tableArn(data, 'webhookEndpoints')] },
    { Sid: 'RelaySend', Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: [queueArn] },
  ];
}

/** Added to the edge: fleet_status lists the caller's endpoints (never a secret: the edge has no SSM read on the webhooks path). */
export function webhookReadStatements(data: Data): Statement[] {
  return [{ Sid: 'ListWebhooks', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [tableArn(data, 'webhookEndpoints')] }];
}

/**
 * Defense in depth for the worker: webhook secrets live outside the tenant path it may read, and
 * this denies the webhooks path outright should a broader allow ever be added.
 */
export function workerWebhookDeny(c: ArnContext): Statement {
  return {
    Sid: 'NoWebhookSecrets',
    Effect: 'Deny',
    Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
    Resource: [ssmArn(c, `/outpost/${c.env}/webhooks`), ssmArn(c, `/outpost/${c.env}/webhooks/*`)],
  };
}
