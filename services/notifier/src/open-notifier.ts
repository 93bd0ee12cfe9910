import {
  openParameterStore,
  QueueDirectory,
  resourceNames,
  sendWebhookMessage,
  systemClock,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  webhookQueueDefinition,
  type AwsClients,
  type Clock,
  type Logger,
} from '@outpost/shared';
import type { NotifierConfig } from './config.js';
import type { DeliverDeps } from './deliver.js';
import { HttpSender, type HttpSenderOptions } from './http-sender.js';

/** Every dependency of the notifier over one set of clients: aws mode sends https to public addresses only. */
export async function openDeliverDeps(
  config: NotifierConfig,
  clients: Pick<AwsClients, 'doc' | 'sqs'>,
  logger: Logger,
  overrides: { clock?: Clock; resolver?: HttpSenderOptions['resolver'] } = {},
): Promise<DeliverDeps & { queueUrl: string }> {
  const names = resourceNames(config.prefix);
  const clock = overrides.clock ?? systemClock;
  const queueUrl = await new QueueDirectory(clients.sqs, config.prefix).url(webhookQueueDefinition(config.prefix).name);
  return {
    endpoints: new WebhookEndpointStore({ tableName: names.tables.webhookEndpoints, doc: clients.doc, clock }),
    deliveries: new WebhookDeliveryStore({ tableName: names.tables.webhookDeliveries, doc: clients.doc, clock }),
    params: openParameterStore(config, 'secrets'),
    env: config.env,
    queueUrl,
    requeue: (message, delaySeconds) => sendWebhookMessage(clients.sqs, queueUrl, message, delaySeconds),
    sender: new HttpSender({ strict: config.mode === 'aws', ...(overrides.resolver ? { resolver: overrides.resolver } : {}) }),
    clock,
    logger,
  };
}
