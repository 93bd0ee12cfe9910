import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, webhookIdFor, type WebhookMessage } from '@outpost/shared';
import { testTenant, until } from '@outpost/testkit';
import { deliverWebhook } from '../src/deliver.js';
import { Notifier } from '../src/notifier.js';
import { RETRY_DELAYS_SECONDS } from '../src/retry-schedule.js';
import { Receiver } from './helpers/receiver.js';
import { openHarness, type Harness } from './helpers/stack.js';

describe('webhook delivery (relay → queue → notifier → receiver)', () => {
  let h: Harness;
  let notifier: Notifier;
  const receiverA = new Receiver();
  const receiverB = new Receiver();

  beforeAll(async () => {
    h = await openHarness();
    await receiverA.start();
    await receiverB.start();
    // random 0: the shortest jitter, so the one retry below comes back after 4 s.
    notifier = new Notifier({ deliver: h.deliverDeps({ random: () => 0 }), sqs: h.stack.clients.sqs, queueUrl: h.queueUrl, pollSeconds: 1, concurrency: 2, logger: h.deliverDeps().logger });
    notifier.start();
  });
  afterAll(async () => {
    await notifier.stop();
    await receiverA.stop();
    await receiverB.stop();
    await h.close();
  });

  it('answers 500 then 200: the app sees the event once, both attempts carry one webhook-id, both verify', async () => {
    const tenant = testTenant();
    const { endpointId, secret } = await h.addEndpoint(tenant, receiverA.url);
    receiverA.secret = secret;
    receiverA.answers = [500];
    const runId = await h.finishedRun(tenant);

    const relayed = await h.relay.pass();
    expect(relayed.messages).toBe(1);
    await until(() => receiverA.requests.length >= 2, { what: 'the retry', timeoutMs: 20_000 });

    const [first, second] = receiverA.requests;
    expect(first!.status).toBe(500);
    expect(second!.status).toBe(200);
    expect(first!.headers['webhook-id']).toBe(webhookIdFor(runId, 'run.succeeded'));
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(first!.verified && second!.verified).toBe(true);
    expect(receiverA.events.size).toBe(1);
    const event = [...receiverA.events.values()][0] as { type: string; data: { run: { runId: string; status: string }; dashboardUrl: string } };
    expect(event.type).toBe('run.succeeded');
    expect(event.data.run).toMatchObject({ runId, status: 'succeeded' });
    expect(event.data.dashboardUrl).toBe(`https://outpost.example.com/runs/${runId}`);
    expect(JSON.stringify(event)).not.toMatch(/leaseToken|X-Amz-Signature/);

    const attempts = await until(async () => {
      const list = await h.deliveries.list(tenant, endpointId);
      return list.length >= 2 ? list : undefined;
    });
    expect(attempts.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [2, 'delivered', 200],
      [1, 'failed', 500],
    ]);
    await until(async () => (await h.endpoints.require(tenant, endpointId)).failingSince === undefined, { what: 'the success recorded' });
  });

  it("never gives a second tenant the first's events", async () => {
    const tenantA = testTenant();
    const tenantB = testTenant();
    receiverA.requests.length = 0;
    receiverB.requests.length = 0;
    receiverA.secret = (await h.addEndpoint(tenantA, receiverA.url)).secret;
    receiverB.secret = (await h.addEndpoint(tenantB, receiverB.url)).secret;
    const runA = await h.finishedRun(tenantA);
    await h.relay.pass();
    await until(() => receiverA.requests.some((r) => r.body.includes(runA)), { what: "A's delivery" });
    const runB = await h.finishedRun(tenantB, 'failed');
    await h.relay.pass();
    await until(() => receiverB.requests.some((r) => r.body.includes(runB)), { what: "B's delivery" });
    // B's delivery came after A's through the same queue and consumers: had A's event gone to B, it would be here.
    expect(receiverB.requests.every((r) => !r.body.includes(runA))).toBe(true);
    expect(receiverA.requests.every((r) => !r.body.includes(runB))).toBe(true);
    expect(JSON.parse(receiverB.requests[0]!.body)).toMatchObject({ type: 'run.failed' });
  });

  it('sends nothing for events an endpoint did not subscribe to', async () => {
    const tenant = testTenant();
    receiverA.requests.length = 0;
    await h.addEndpoint(tenant, receiverA.url, { events: ['run.cancelled'] });
    await h.finishedRun(tenant);
    const relayed = await h.relay.pass();
    expect(relayed.runs).toBeGreaterThan(0);
    expect(relayed.messages).toBe(0);
    expect((await h.relay.pass()).runs).toBe(0); // the marks were cleared
  });
});

describe('retries against a receiver that is down (controlled clock)', () => {
  let h: Harness;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    h = await openHarness({ clock });
  });
  afterAll(() => h.close());

  it('retries with growing delays, re-delays long waits in 15-minute hops, and disables the endpoint after a day', async () => {
    const tenant = testTenant();
    const down = new Receiver();
    const url = await down.start();
    await down.stop(); // nothing listens on that port any more
    const { endpointId } = await h.addEndpoint(tenant, url);
    const queued: { message: WebhookMessage; delaySeconds: number }[] = [];
    const deps = h.deliverDeps({ random: () => 0.5, requeue: async (message, delaySeconds) => void queued.push({ message, delaySeconds }) });

    let message: WebhookMessage = {
      v: 1,
      tenantId: tenant,
      endpointId,
      webhookId: 'msg_retry_test',
      payload: { type: 'webhook.test', timestamp: clock.now().toISOString(), data: { summary: 'test' } },
      attempt: 1,
      firstAttemptAt: clock.now().toISOString(),
    };
    const waits: number[] = [];
    let hops = 0;
    for (let i = 0; i < 500; i++) {
      const outcome = await deliverWebhook(deps, message);
      if (outcome === 'gave_up') break;
      const next = queued.shift()!;
      if (outcome === 'redelayed') hops++;
      else {
        expect(outcome).toBe('retry_scheduled');
        waits.push(Date.parse(next.message.dueAt!) - clock.now().getTime());
      }
      // SQS holds a message at most 15 minutes: time moves by what SQS would wait.
      expect(next.delaySeconds).toBeGreaterThan(0);
      clock.advance(Math.min(next.delaySeconds, 900) * 1000);
      message = next.message;
    }
    // random 0.5 is no jitter: exactly the schedule, 5 s up to 8 h, never shrinking.
    expect(waits).toEqual(RETRY_DELAYS_SECONDS.map((s) => s * 1000));
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(hops).toBeGreaterThan(0);

    const endpoint = await h.endpoints.require(tenant, endpointId);
    expect(endpoint.enabled).toBe(false);
    expect(endpoint.disabledReason).toMatch(/^all 11 attempts of webhook.test failed over 2\d h; last error: .*ECONNREFUSED/);
    const attempts = await h.deliveries.list(tenant, endpointId, 50);
    expect(attempts).toHaveLength(waits.length + 1);
    expect(attempts.every((a) => a.outcome === 'failed' && a.webhookId === 'msg_retry_test')).toBe(true);
    expect(attempts[0]!.nextAttemptAt).toBeUndefined();

    // Disabled: a later event to it is dropped without a request.
    expect(await deliverWebhook(deps, { ...message, attempt: 1 })).toBe('dropped');
    // Re-enabled by the tenant: delivered again (and the failure streak forgotten).
    await h.endpoints.enable(tenant, endpointId);
    await until(async () => (await h.endpoints.require(tenant, endpointId)).failingSince === undefined, { what: 'the success recorded' });
  });
});
