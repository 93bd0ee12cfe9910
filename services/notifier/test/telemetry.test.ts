import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { METRIC_NAMES } from '@outpost/shared';
import { startMemoryTelemetry, testTenant, until, type MemoryTelemetry } from '@outpost/testkit';
import { Notifier } from '../src/notifier.js';
import { Receiver } from './helpers/receiver.js';
import { openHarness, type Harness } from './helpers/stack.js';

const RUN_TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('telemetry: a run\'s webhook deliveries join its trace (relay → queue → notifier)', () => {
  let otel: MemoryTelemetry;
  let h: Harness;
  let notifier: Notifier;
  const receiver = new Receiver();

  beforeAll(async () => {
    otel = startMemoryTelemetry();
    h = await openHarness();
    await receiver.start();
    notifier = new Notifier({ deliver: h.deliverDeps({ random: () => 0 }), sqs: h.stack.clients.sqs, queueUrl: h.queueUrl, pollSeconds: 1, concurrency: 1, logger: h.deliverDeps().logger });
    notifier.start();
  });
  afterAll(async () => {
    await notifier?.stop();
    await receiver.stop();
    await h?.close();
    await otel?.stop();
  });

  it('each attempt, the first and its retry, is a span in the run\'s trace; deliveries are counted by outcome', async () => {
    const tenant = testTenant();
    receiver.secret = (await h.addEndpoint(tenant, receiver.url)).secret;
    receiver.answers = [500];
    const before = { retried: await otel.metric(METRIC_NAMES.webhookDeliveries, { outcome: 'retry_scheduled' }), delivered: await otel.metric(METRIC_NAMES.webhookDeliveries, { outcome: 'delivered' }) };
    const runId = await h.finishedRun(tenant, 'succeeded', `00-${RUN_TRACE}-b7ad6b7169203331-01`);
    expect((await h.relay.pass()).messages).toBe(1);
    await until(() => receiver.requests.length >= 2, { what: 'the retry', timeoutMs: 20_000 });
    const attempts = await until(() => {
      const spans = otel.spans().filter((s) => s.name === 'webhook run.succeeded' && s.attributes['outpost.run_id'] === runId);
      return spans.length >= 2 ? spans : undefined;
    });
    expect(attempts.map((s) => s.spanContext().traceId)).toEqual([RUN_TRACE, RUN_TRACE]);
    expect(attempts.map((s) => s.attributes['outpost.webhook.outcome']).sort()).toEqual(['delivered', 'retry_scheduled']);
    expect(await otel.metric(METRIC_NAMES.webhookDeliveries, { outcome: 'retry_scheduled' })).toBe(before.retried + 1);
    expect(await otel.metric(METRIC_NAMES.webhookDeliveries, { outcome: 'delivered' })).toBe(before.delivered + 1);
  });
});
