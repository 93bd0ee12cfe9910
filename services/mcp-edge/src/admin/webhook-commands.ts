import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_WEBHOOK_EVENTS,
  maskWebhookUrl,
  newSigningSecret,
  sendWebhookMessage,
  WebhookEndpointKind,
  WebhookEndpointNotFoundError,
  WebhookEventType,
  webhookSecretPath,
  webhookUrlProblem,
  type ParameterStore,
  type WebhookDelivery,
  type WebhookDeliveryStore,
  type WebhookEndpoint,
  type WebhookEndpointStore,
  UsageError,
} from '@outpost/shared';
import type { SQSClient } from '@aws-sdk/client-sqs';

export const WEBHOOK_USAGE = `  webhook add --url URL [--events E1,E2] [--kind standard|slack|discord] [--tenant T] [--kms-key KEY]
             new endpoint; a standard one prints its signing secret (whsec_…) once
             (events: ${WebhookEventType.options.join(', ')}; default all but run.started)
  webhook list|remove|enable|rotate-secret|deliveries|test [--id ENDPOINT_ID] [--tenant T]
             enable: re-enable a disabled endpoint; deliveries: its last attempts; test: send webhook.test and wait for the attempt`;


export interface WebhookCommandDeps {
  mode: 'local' | 'aws';
  env: string;
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  /** Where signing secrets go: SSM SecureString (aws), `.outpost/secrets.json` (local). */
  params: ParameterStore;
  sqs: SQSClient;
  queueUrl: () => Promise<string>;
  /** The tenant when --tenant is omitted (the local one in local mode). */
  defaultTenantId?: string;
  /** `webhook test` waits this long for the notifier's attempt. @default 15000 */
  testWaitMs?: number;
}

/** `npm run tenant -- webhook <sub> …`: returns what to print as JSON. Secrets are printed only by add and rotate-secret. */
export async function runWebhookCommand(argv: readonly string[], deps: WebhookCommandDeps): Promise<unknown> {
  const [sub, ...rest] = argv;
  const values = parse(rest);
  const tenantId = values.tenant ?? deps.defaultTenantId;
  if (!tenantId) throw new UsageError('--tenant is required');
  const id = () => {
    if (!values.id) throw new UsageError('--id is required (`webhook list` shows the ids)');
    return values.id;
  };
  try {
    switch (sub) {
      case 'add': {
        if (!values.url) throw new UsageError('--url is required');
        const problem = webhookUrlProblem(values.url, deps.mode);
        if (problem) throw new UsageError(`--url: ${problem}`);
        const kind = WebhookEndpointKind.safeParse(values.kind ?? 'standard');
        if (!kind.success) throw new UsageError(`--kind must be one of ${WebhookEndpointKind.options.join(', ')}`);
        const events = parseEvents(values.events);
        if (kind.data === 'standard' && deps.mode === 'aws' && !values['kms-key']) throw new UsageError("--kms-key is required in aws mode (the stack's secrets_kms_alias output)");
        const endpoint = await deps.endpoints.create({ tenantId, url: values.url, kind: kind.data, events });
        if (kind.data !== 'standard') return { ...view(endpoint), note: 'unsigned: chat incoming webhooks do not verify signatures' };
        const secret = await storeSecret(deps, endpoint, values['kms-key']);
        return { ...view(endpoint), secret, note: 'the secret is shown once; verify deliveries with it (docs/webhooks.md)' };
      }
      case 'list':
        return { webhooks: (await deps.endpoints.list(tenantId)).map(view) };
      case 'remove':
        await deps.endpoints.remove(tenantId, id());
        return { endpointId: id(), removed: true };
      case 'enable':
        return view(await deps.endpoints.enable(tenantId, id()));
      case 'rotate-secret': {
        const endpoint = await deps.endpoints.require(tenantId, id());
        if (endpoint.kind !== 'standard') throw new UsageError(`a ${endpoint.kind} endpoint has no signing secret`);
        const secret = await storeSecret(deps, endpoint, values['kms-key']);
        await deps.endpoints.secretRotated(tenantId, endpoint.endpointId);
        return { endpointId: endpoint.endpointId, secret, note: 'deliveries from now on are signed with this secret only' };
      }
      case 'deliveries':
        await deps.endpoints.require(tenantId, id());
        return { deliveries: (await deps.deliveries.list(tenantId, id(), Number(values.limit ?? 20))).map(deliveryView) };
      case 'test':
        return await sendTest(deps, await deps.endpoints.require(tenantId, id()));
      default:
        throw new UsageError(sub ? `unknown webhook command ${JSON.stringify(sub)}` : 'webhook needs a command');
    }
  } catch (err) {
    if (err instanceof WebhookEndpointNotFoundError) throw new UsageError(err.message);
    throw err;
  }
}

async function storeSecret(deps: WebhookCommandDeps, endpoint: WebhookEndpoint, keyId: string | undefined): Promise<string> {
  const secret = newSigningSecret();
  await deps.params.put(webhookSecretPath(deps.env, endpoint.tenantId, endpoint.endpointId), secret, { secure: true, ...(keyId ? { keyId } : {}) });
  return secret;
}

/** Queues a `webhook.test` event through the notifier (same SSRF rules, same signing) and waits for its attempt. */
async function sendTest(deps: WebhookCommandDeps, endpoint: WebhookEndpoint): Promise<unknown> {
  const webhookId = `msg_test_${randomBytes(8).toString('hex')}`;
  const now = new Date().toISOString();
  await sendWebhookMessage(deps.sqs, await deps.queueUrl(), {
    v: 1,
    tenantId: endpoint.tenantId,
    endpointId: endpoint.endpointId,
    webhookId,
    payload: { type: 'webhook.test', timestamp: now, data: { summary: `test delivery to ${endpoint.endpointId}` } },
    attempt: 1,
    firstAttemptAt: now,
  });
  const deadline = Date.now() + (deps.testWaitMs ?? 15_000);
  while (Date.now() < deadline) {
    const found = (await deps.deliveries.list(endpoint.tenantId, endpoint.endpointId, 10)).find((d) => d.webhookId === webhookId);
    if (found) return deliveryView(found);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { webhookId, queued: true, note: 'no attempt recorded yet; is the notifier running? (`webhook deliveries` shows it later)' };
}

function view(e: WebhookEndpoint) {
  return {
    endpointId: e.endpointId,
    url: maskWebhookUrl(e.url),
    kind: e.kind,
    events: e.events,
    enabled: e.enabled,
    createdAt: e.createdAt,
    ...(e.disabledReason ? { disabledAt: e.disabledAt, disabledReason: e.disabledReason } : {}),
    ...(e.failingSince ? { failingSince: e.failingSince } : {}),
    ...(e.lastSuccessAt ? { lastSuccessAt: e.lastSuccessAt } : {}),
  };
}

function deliveryView(d: WebhookDelivery) {
  const { endpointKey, deliveryKey, expiresAt, tenantId, ...rest } = d;
  void endpointKey, deliveryKey, expiresAt, tenantId;
  return rest;
}

function parseEvents(value: string | undefined): WebhookEventType[] {
  if (!value) return [...DEFAULT_WEBHOOK_EVENTS];
  const out: WebhookEventType[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const e = WebhookEventType.safeParse(part);
    if (!e.success) throw new UsageError(`--events: unknown event ${JSON.stringify(part)}; one of ${WebhookEventType.options.join(', ')}`);
    out.push(e.data);
  }
  if (out.length === 0) throw new UsageError('--events: name at least one event');
  return out;
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        url: { type: 'string' },
        events: { type: 'string' },
        kind: { type: 'string' },
        tenant: { type: 'string' },
        id: { type: 'string' },
        limit: { type: 'string' },
        'kms-key': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
