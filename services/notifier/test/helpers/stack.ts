import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  FileParameterStore,
  LOCAL_PARAMETER_FILES,
  newSigningSecret,
  openStores,
  OutboxStore,
  sendWebhookMessage,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  webhookQueueDefinition,
  webhookSecretPath,
  silentLogger,
  type Clock,
  type Stores,
  type WebhookEndpointKind,
  type WebhookEventType,
} from '@outpost/shared';
import { WebhookRelay } from '@outpost/dispatcher';
import { startTestStack, type TestStack, newRunInput } from '@outpost/testkit';
import type { DeliverDeps } from '../../src/deliver.js';
import { HttpSender, type HttpSenderOptions } from '../../src/http-sender.js';

export interface Harness {
  home: string;
  stack: TestStack;
  stores: Stores;
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  params: FileParameterStore;
  queueUrl: string;
  relay: WebhookRelay;
  deliverDeps(overrides?: Partial<DeliverDeps> & { strict?: boolean; resolver?: HttpSenderOptions['resolver'] }): DeliverDeps;
  /** Adds an endpoint (and its secret for `standard`), as `webhook add` does. */
  addEndpoint(tenantId: string, url: string, options?: { kind?: WebhookEndpointKind; events?: WebhookEventType[] }): Promise<{ endpointId: string; secret: string }>;
  /** A run taken by a worker and finished with `status`: the terminal write marks the outbox. */
  /** A run that ended; `traceparent`: the trace its dispatch opened. */
  finishedRun(tenantId: string, status?: 'succeeded' | 'failed', traceparent?: string): Promise<string>;
  close(options?: { keepHome?: boolean }): Promise<void>;
}

/** Emulators (optionally persisted in `dataDir`), a temp OUTPOST_HOME, every webhook store. */
export async function openHarness(options: { clock?: Clock; home?: string; dataDir?: string; prefix?: string } = {}): Promise<Harness> {
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), 'outpost-notifier-')));
  await chmod(home, 0o755);
  const stack = await startTestStack({ home, ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.prefix ? { prefix: options.prefix } : {}) });
  const clock = options.clock;
  const stores = openStores(stack.config, stack.clients, clock);
  const withClock = clock ? { clock } : {};
  const endpoints = new WebhookEndpointStore({ tableName: stores.names.tables.webhookEndpoints, doc: stack.clients.doc, ...withClock });
  const deliveries = new WebhookDeliveryStore({ tableName: stores.names.tables.webhookDeliveries, doc: stack.clients.doc, ...withClock });
  const params = new FileParameterStore(path.join(home, LOCAL_PARAMETER_FILES.secrets));
  const queueUrl = await stores.queues.url(webhookQueueDefinition(stack.config.prefix).name);
  const relay = new WebhookRelay({
    outbox: new OutboxStore({ tableName: stores.names.tables.runs, doc: stack.clients.doc }),
    endpoints,
    sqs: stack.clients.sqs,
    queueUrl: async () => queueUrl,
    publicUrl: 'https://outpost.example.com',
    ...withClock,
  });
  const senders: HttpSender[] = [];
  return {
    home,
    stack,
    stores,
    endpoints,
    deliveries,
    params,
    queueUrl,
    relay,
    deliverDeps(o = {}) {
      const { strict, resolver, ...rest } = o;
      const sender = new HttpSender({ strict: strict ?? false, ...(resolver ? { resolver } : {}) });
      senders.push(sender);
      return {
        endpoints,
        deliveries,
        params,
        env: stack.config.env,
        requeue: (message, delaySeconds) => sendWebhookMessage(stack.clients.sqs, queueUrl, message, delaySeconds),
        sender,
        clock: clock ?? { now: () => new Date() },
        logger: silentLogger,
        ...rest,
      };
    },
    async addEndpoint(tenantId, url, o = {}) {
      const endpoint = await endpoints.create({ tenantId, url, kind: o.kind ?? 'standard', events: o.events ?? ['run.succeeded', 'run.failed'] });
      const secret = newSigningSecret();
      await params.put(webhookSecretPath(stack.config.env, tenantId, endpoint.endpointId), secret, { secure: true });
      return { endpointId: endpoint.endpointId, secret };
    },
    async finishedRun(tenantId, status = 'succeeded', traceparent) {
      const run = await stores.runs.create(newRunInput(tenantId, traceparent ? { traceparent } : {}));
      const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId: run.runId, tier: 'pro', workerId: 'wkr_test', leaseMs: 30_000 });
      await stores.runs.finish({ tenantId, runId: run.runId, leaseToken, status, exitCode: status === 'succeeded' ? 0 : 1 });
      return run.runId;
    },
    async close(o = {}) {
      await Promise.all(senders.map((s) => s.close()));
      await stack.stop();
      if (!o.keepHome) await rm(home, { recursive: true, force: true });
    },
  };
}

