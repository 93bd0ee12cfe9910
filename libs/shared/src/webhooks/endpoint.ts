import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import { WebhookEventType } from './events.js';

const nextUlid = monotonicFactory();

/** `standard`: signed per Standard Webhooks. `slack`, `discord`: their incoming-webhook URLs, a readable message, unsigned. */
export const WebhookEndpointKind = z.enum(['standard', 'slack', 'discord']);
export type WebhookEndpointKind = z.infer<typeof WebhookEndpointKind>;

export const WEBHOOK_ENDPOINT_ID_PATTERN = /^wh_[0-9A-HJKMNP-TV-Z]{26}$/;

/** One endpoint of a tenant, as stored in the webhook-endpoints table. The secret is never here. */
export const WebhookEndpoint = z.object({
  tenantId: z.string(),
  endpointId: z.string().regex(WEBHOOK_ENDPOINT_ID_PATTERN),
  url: z.string().url(),
  kind: WebhookEndpointKind,
  events: z.array(WebhookEventType).min(1),
  enabled: z.boolean(),
  createdAt: z.string(),
  /** Set while deliveries fail: the first failure since the last success. */
  failingSince: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  lastFailureAt: z.string().optional(),
  disabledAt: z.string().optional(),
  /** Why the endpoint was disabled (e.g. failing for a day, with the last error). */
  disabledReason: z.string().optional(),
  secretRotatedAt: z.string().optional(),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export function newWebhookEndpointId(now: number = Date.now()): string {
  return `wh_${nextUlid(now)}`;
}

/** A signing secret as Standard Webhooks writes one: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Where an endpoint's signing secret lives in the parameter store. Deliberately NOT under the
 * tenant's BYOK path (`/outpost/{env}/tenants/{t}/`): workers read that path recursively, and IAM
 * cannot carve a sub-path out of a recursive GetParametersByPath, so the agent's host never can.
 */
export function webhookSecretPath(env: string, tenantId: string, endpointId: string): string {
  return `/outpost/${env}/webhooks/${tenantId}/${endpointId}`;
}

/** The URL as shown to MCP clients and in logs: origin and the first path segment only (Slack/Discord URLs are secrets). */
export function maskWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    const first = u.pathname.split('/').filter(Boolean)[0];
    return `${u.origin}/${first ? `${first}/…` : ''}`;
  } catch {
    return '(invalid url)';
  }
}

/** Why a URL cannot be an endpoint, or undefined. aws mode: https only; local mode also allows http. */
export function webhookUrlProblem(url: string, mode: 'local' | 'aws'): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `not a URL: ${url}`;
  }
  if (u.username || u.password) return 'the URL must not carry credentials';
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && mode === 'local') return undefined;
  return mode === 'aws' ? 'only https URLs are allowed' : 'only http and https URLs are allowed';
}
