import { OutboxStore, WebhookEndpointStore, webhookQueueDefinition, type AwsClients, type Logger, type Stores } from '@outpost/shared';
import type { DispatcherConfig } from './config.js';
import { WebhookRelay } from './webhook-relay.js';

/** The relay over the dispatcher's clients: the runs table's outbox, the tenants' endpoints, the webhooks queue. */
export function openWebhookRelay(
  config: Pick<DispatcherConfig, 'prefix' | 'publicUrl'>,
  clients: Pick<AwsClients, 'doc' | 'sqs'>,
  stores: Pick<Stores, 'names' | 'queues'>,
  logger: Logger,
): WebhookRelay {
  return new WebhookRelay({
    outbox: new OutboxStore({ tableName: stores.names.tables.runs, doc: clients.doc }),
    endpoints: new WebhookEndpointStore({ tableName: stores.names.tables.webhookEndpoints, doc: clients.doc }),
    sqs: clients.sqs,
    queueUrl: () => stores.queues.url(webhookQueueDefinition(config.prefix).name),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    logger,
  });
}
