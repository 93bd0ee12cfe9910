import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { WebhookPayload } from './events.js';
import { traceAttributes } from '../telemetry/job-trace.js';

/** SQS allows at most 15 minutes of DelaySeconds; longer waits re-delay in hops of this size. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * One delivery of one event to one endpoint: the body of an `outpost-webhooks` message. The relay
 * writes attempt 1; the notifier writes every retry. The payload travels with the message so every
 * attempt sends the same bytes under the same `webhook-id`.
 */
export const WebhookMessage = z.object({
  v: z.literal(1),
  tenantId: z.string().min(1),
  endpointId: z.string().min(1),
  webhookId: z.string().min(1),
  payload: WebhookPayload,
  /** 1 for the first try. */
  attempt: z.number().int().positive(),
  firstAttemptAt: z.string(),
  /** Not before this time (a delay longer than SQS allows arrives early and is re-delayed). */
  dueAt: z.string().optional(),
});
export type WebhookMessage = z.infer<typeof WebhookMessage>;

/** Parses a raw SQS body; undefined for anything that is not a valid webhook message (poison). */
export function parseWebhookMessage(body: string | undefined): WebhookMessage | undefined {
  if (!body) return undefined;
  try {
    const parsed = WebhookMessage.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Sends one webhook message, delayed by up to 15 minutes. */
export async function sendWebhookMessage(sqs: SQSClient, queueUrl: string, message: WebhookMessage, delaySeconds = 0): Promise<void> {
  const body = WebhookMessage.parse(message);
  const delay = Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(delaySeconds)));
  // A retry stays in the trace of the attempt that scheduled it (and so of its run).
  const attributes = traceAttributes();
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: body.tenantId,
      ...(delay > 0 ? { DelaySeconds: delay } : {}),
      ...(attributes ? { MessageAttributes: attributes } : {}),
    }),
  );
}
