import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { WebhookRelay } from '@outpost/dispatcher';
import { HttpSender, Notifier, signWebhook } from '@outpost/notifier';
import { startTestStack } from '@outpost/testkit';
import {
  FileParameterStore,
  newRunId,
  newSigningSecret,
  openStores,
  OutboxStore,
  sendWebhookMessage,
  silentLogger,
  systemClock,
  WebhookDeliveryStore,
  webhookQueueDefinition,
  webhookSecretPath,
} from '@outpost/shared';
import { round } from './_stats.js';

export const title = 'webhooks: signing cost (vs JSON.stringify of the same body), events/s through relay + notifier (vs raw SQS round trips)';

const EVENTS = 200;

function perOpUs(n: number, fn: () => unknown): number {
  for (let i = 0; i < 500; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n;
}

export async function run(): Promise<Record<string, unknown>> {
  const secret = newSigningSecret();
  const payload = { type: 'run.succeeded', timestamp: new Date().toISOString(), data: { summary: 'x'.repeat(200), run: { task: 'y'.repeat(1500) } } };
  const body = JSON.stringify(payload);
  const stringifyUs = perOpUs(20_000, () => JSON.stringify(payload));
  const signUs = perOpUs(20_000, () => signWebhook(secret, 'msg_bench', 1_800_000_000, body));

  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-hooks-'));
  const stack = await startTestStack({ home });
  let received = 0;
  const receiver = createServer((req, res) => req.resume().on('end', () => (received++, res.writeHead(204).end())));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const stores = openStores(stack.config, stack.clients);
    const queueUrl = await stores.queues.url(webhookQueueDefinition(stack.config.prefix).name);
    const params = new FileParameterStore(path.join(home, 'secrets.json'));
    const tenantId = 'ten_benchhooks';
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const endpoint = await stores.webhooks.create({ tenantId, url, kind: 'standard', events: ['run.succeeded'] });
    await params.put(webhookSecretPath(stack.config.env, tenantId, endpoint.endpointId), secret);

    // Baseline: the same number of raw send → receive → delete round trips on the same queue.
    const b0 = performance.now();
    for (let i = 0; i < EVENTS; i++) await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    for (let got = 0; got < EVENTS; ) {
      const page = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of page.Messages ?? []) (await stack.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle })), got++);
    }
    const baselinePerS = EVENTS / ((performance.now() - b0) / 1000);

    for (let i = 0; i < EVENTS; i++) {
      const run = await stores.runs.create({ tenantId, runId: newRunId(), tier: 'pro', agent: 'shell', repo: 'o/r', task: 'echo', taskBytes: 4, timeoutSeconds: 60, maxAttempts: 3 });
      const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId: run.runId, tier: 'pro', workerId: 'wkr_bench', leaseMs: 60_000 });
      await stores.runs.finish({ tenantId, runId: run.runId, leaseToken, status: 'succeeded', exitCode: 0 });
    }
    const sender = new HttpSender({ strict: false });
    const deliveries = new WebhookDeliveryStore({ tableName: stores.names.tables.webhookDeliveries, doc: stack.clients.doc });
    const deps = { endpoints: stores.webhooks, deliveries, params, env: stack.config.env, sender, clock: systemClock, logger: silentLogger, requeue: (m: Parameters<typeof sendWebhookMessage>[2], d: number) => sendWebhookMessage(stack.clients.sqs, queueUrl, m, d) };
    const notifier = new Notifier({ deliver: deps, sqs: stack.clients.sqs, queueUrl, pollSeconds: 1, concurrency: 8, logger: silentLogger });
    const relay = new WebhookRelay({ outbox: new OutboxStore({ tableName: stores.names.tables.runs, doc: stack.clients.doc }), endpoints: stores.webhooks, sqs: stack.clients.sqs, queueUrl: async () => queueUrl, batch: 100 });
    const t0 = performance.now();
    notifier.start();
    while ((await relay.pass()).runs > 0);
    while (received < EVENTS) await new Promise((r) => setTimeout(r, 10));
    const eventsPerS = EVENTS / ((performance.now() - t0) / 1000);
    await notifier.stop();
    await sender.close();
    const report = {
      signUs: round(signUs),
      stringifyUs: round(stringifyUs),
      signVsStringify: round(signUs / stringifyUs),
      events: EVENTS,
      eventsPerS: round(eventsPerS),
      rawSqsRoundTripsPerS: round(baselinePerS),
      eventsVsRawSqs: round(eventsPerS / baselinePerS),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report;
  } finally {
    await new Promise((r) => receiver.close(r));
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}
