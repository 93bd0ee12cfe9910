import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * The Standard Webhooks signature of one attempt: HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * with the base64-decoded secret, as `v1,<base64>`. The timestamp is the attempt's (receivers
 * reject old ones), so each attempt is signed anew; the id stays the same.
 */
export function signWebhook(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${webhookId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The headers of a signed delivery. */
export function signedHeaders(secret: string, webhookId: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, webhookId, timestampSeconds, body),
  };
}
