export { addressProblem, DeliveryRefusedError, guardedLookup, systemResolver, urlProblem, type AddressPolicy, type Resolver } from './address-guard.js';
export { chatBody } from './chat-messages.js';
export { loadNotifierConfig, NotifierEnv, type NotifierConfig } from './config.js';
export { deliverWebhook, type DeliverDeps, type DeliverOutcome } from './deliver.js';
export { HttpSender, MAX_RESPONSE_BYTES, SEND_TIMEOUT_MS, type HttpSenderOptions, type Sender, type SendResult, type WebhookRequest } from './http-sender.js';
export { Notifier, type NotifierOptions } from './notifier.js';
export { openDeliverDeps } from './open-notifier.js';
export { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, retryDelayMs } from './retry-schedule.js';
export { signedHeaders, signWebhook } from './signing.js';
