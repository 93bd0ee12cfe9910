export {
  buildRunPayload,
  dashboardUrlFor,
  DEFAULT_WEBHOOK_EVENTS,
  runSummaryLine,
  terminalEvent,
  WEBHOOK_EVENT_TYPES,
  WebhookEventType,
  WebhookPayload,
  WebhookRun,
  webhookIdFor,
} from './events.js';
export {
  maskWebhookUrl,
  newSigningSecret,
  newWebhookEndpointId,
  WEBHOOK_ENDPOINT_ID_PATTERN,
  WebhookEndpoint,
  WebhookEndpointKind,
  webhookSecretPath,
  webhookUrlProblem,
} from './endpoint.js';
export { MAX_SQS_DELAY_SECONDS, parseWebhookMessage, sendWebhookMessage, WebhookMessage } from './message.js';
export { OUTBOX_SHARDS, OutboxStore, withOutboxMark, type PendingEvents } from './outbox.js';
export { DISABLE_AFTER_MS, WebhookEndpointNotFoundError, WebhookEndpointStore, type WebhookEndpointStoreOptions } from './endpoint-store.js';
export { DELIVERY_RETENTION_DAYS, DeliveryOutcome, WebhookDelivery, WebhookDeliveryStore, type NewDelivery } from './delivery-store.js';
