import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { trace } from '@opentelemetry/api';
import { createRun, startMemoryTelemetry, testTenant, type MemoryTelemetry, type TestStack } from '@outpost/testkit';
import type { ManualClock } from '../src/core/clock.js';
import { sendJob } from '../src/aws/queues.js';
import { METRIC_NAMES, recordFleetReading } from '../src/telemetry/instruments.js';
import { recordModelUsage, recordWebhookDelivery } from '../src/telemetry/run-metrics.js';
import { jobContext } from '../src/telemetry/job-trace.js';
import { traceparentOf, withSpan } from '../src/telemetry/tracing.js';
import type { RunStore } from '../src/stores/run-store.js';
import { openStores, type Stores } from '../src/stores/stores.js';
import { finishInput, LEASE_MS, startRunStoreSuite } from './helpers/run-store.js';

let db: TestStack;
let clock: ManualClock;
let runs: RunStore;
let stores: Stores;
let otel: MemoryTelemetry;

beforeAll(async () => {
  // Telemetry first: the clients' spans and the store's metrics are recorded from here on.
  otel = startMemoryTelemetry();
  ({ db, clock, runs } = await startRunStoreSuite());
  stores = openStores(db.config, db.clients);
});
afterAll(async () => {
  await otel?.stop();
  await db?.stop();
});

describe('trace context across the queue', () => {
  it('a job sent inside a span carries its traceparent; the receiver continues that trace', async () => {
    const tenantId = testTenant();
    const run = await createRun(runs, tenantId, { tier: 'free' });
    let sentTraceId = '';
    await withSpan('dispatch', {}, async (span) => {
      sentTraceId = span.spanContext().traceId;
      await sendJob(db.clients.sqs, stores.queues, { tier: 'free', tenantId, runId: run.runId });
    });
    const url = await stores.queues.jobsUrl('free');
    const out = await db.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageAttributeNames: ['traceparent'] }));
    const message = out.Messages?.find((m) => m.Body?.includes(run.runId));
    expect(message).toBeDefined();
    const received = trace.getSpanContext(jobContext(message!));
    expect(received?.traceId).toBe(sentTraceId);
    expect(received?.isRemote).toBe(true);
    // The SDK call is a client span of the dispatch span, named for the command.
    const send = otel.spans().find((s) => s.name === 'SQS.SendMessage' && s.spanContext().traceId === sentTraceId);
    expect(send?.attributes['rpc.method']).toBe('SendMessage');
  });

  it('a re-send outside any span continues the trace stored on the run', async () => {
    const tenantId = testTenant();
    const stored = await withSpan('original dispatch', {}, async () => traceparentOf());
    expect(stored).toBeDefined();
    await sendJob(db.clients.sqs, stores.queues, { tier: 'enterprise', tenantId, runId: 'run_resend', traceparent: stored });
    const url = await stores.queues.jobsUrl('enterprise');
    const out = await db.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }));
    const message = out.Messages?.find((m) => m.Body?.includes('run_resend'));
    expect(message?.MessageAttributes?.traceparent?.StringValue).toBe(stored);
    // A message without the attribute falls back to the stored one; a malformed one starts afresh.
    expect(trace.getSpanContext(jobContext({}, stored))?.traceId).toBe(stored!.split('-')[1]);
    expect(trace.getSpanContext(jobContext({ MessageAttributes: { traceparent: { DataType: 'String', StringValue: 'garbage' } } }))).toBeUndefined();
  });

  it('every DynamoDB command is a client span, document-client commands included', async () => {
    const tenantId = testTenant();
    const traceId = await withSpan('store work', {}, async (span) => {
      await createRun(runs, tenantId);
      return span.spanContext().traceId;
    });
    const names = otel.spans().filter((s) => s.spanContext().traceId === traceId).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['DynamoDB.PutItem', 'store work']));
  });
});

describe('run metrics', () => {
  it('counts runs dispatched and finished by tier, agent and status, with queue wait and duration', async () => {
    const before = {
      dispatched: await otel.metric(METRIC_NAMES.runsDispatched, { tier: 'enterprise', agent: 'aider' }),
      succeeded: await otel.metric(METRIC_NAMES.runsFinished, { tier: 'enterprise', agent: 'aider', status: 'succeeded' }),
      failed: await otel.metric(METRIC_NAMES.runsFinished, { tier: 'enterprise', agent: 'aider', status: 'failed' }),
      cancelled: await otel.metric(METRIC_NAMES.runsFinished, { tier: 'enterprise', agent: 'aider', status: 'cancelled' }),
      waits: await otel.metric(METRIC_NAMES.queueWait, { tier: 'enterprise' }),
      durations: await otel.metric(METRIC_NAMES.runDuration, { tier: 'enterprise', agent: 'aider' }),
    };
    const tenantId = testTenant();
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await createRun(runs, tenantId, { tier: 'enterprise', agent: 'aider' }));
    clock.advance(5_000);
    const leased = [];
    for (const run of made.slice(0, 3)) leased.push(await runs.acquireLease({ tenantId, runId: run.runId, tier: 'enterprise', workerId: 'wkr_m', leaseMs: LEASE_MS }));
    clock.advance(2_000);
    await runs.finish(finishInput(leased[0]!.run, leased[0]!.leaseToken, 'succeeded'));
    await runs.finish(finishInput(leased[1]!.run, leased[1]!.leaseToken, 'succeeded'));
    await runs.finish(finishInput(leased[2]!.run, leased[2]!.leaseToken, 'failed'));
    await runs.cancelQueued({ tenantId, runId: made[3]!.runId });

    expect(await otel.metric(METRIC_NAMES.runsDispatched, { tier: 'enterprise', agent: 'aider' })).toBe(before.dispatched + 4);
    expect(await otel.metric(METRIC_NAMES.runsFinished, { tier: 'enterprise', agent: 'aider', status: 'succeeded' })).toBe(before.succeeded + 2);
    expect(await otel.metric(METRIC_NAMES.runsFinished, { tier: 'enterprise', agent: 'aider', status: 'failed' })).toBe(before.failed + 1);
    expect(await otel.metric(METRIC_NAMES.runsFinished, { tier: 'enterprise', agent: 'aider', status: 'cancelled' })).toBe(before.cancelled + 1);
    expect(await otel.metric(METRIC_NAMES.queueWait, { tier: 'enterprise' })).toBe(before.waits + 3);
    // Only runs that started have a duration (the cancelled one never ran).
    expect(await otel.metric(METRIC_NAMES.runDuration, { tier: 'enterprise', agent: 'aider' })).toBe(before.durations + 3);
  });
});

describe('fleet, model and webhook metrics', () => {
  it('the backlog and pool gauges report the last reading per tier', async () => {
    recordFleetReading('free', { backlog: 7, workers: 2 });
    recordFleetReading('pro', { backlog: 0, workers: 1 });
    recordFleetReading('free', { backlog: 3, workers: 4 });
    expect(await otel.metric(METRIC_NAMES.queueBacklog, { tier: 'free' })).toBe(3);
    expect(await otel.metric(METRIC_NAMES.poolWorkers, { tier: 'free' })).toBe(4);
    expect(await otel.metric(METRIC_NAMES.poolWorkers, { tier: 'pro' })).toBe(1);
  });

  it('tokens and cost by tenant and provider; webhook outcomes', async () => {
    const tenant = testTenant();
    recordModelUsage({ tenantId: tenant, provider: 'anthropic', inputTokens: 1200, outputTokens: 300, costUsd: 0.0081 });
    recordModelUsage({ tenantId: tenant, provider: 'anthropic', inputTokens: 800, outputTokens: 0, costUsd: 0 });
    expect(await otel.metric(METRIC_NAMES.modelTokens, { tenant, kind: 'input' })).toBe(2000);
    expect(await otel.metric(METRIC_NAMES.modelTokens, { tenant, kind: 'output' })).toBe(300);
    expect(await otel.metric(METRIC_NAMES.modelCost, { tenant, provider: 'anthropic' })).toBeCloseTo(0.0081, 6);
    const before = await otel.metric(METRIC_NAMES.webhookDeliveries, { outcome: 'gave_up' });
    recordWebhookDelivery('gave_up');
    recordWebhookDelivery('delivered');
    expect(await otel.metric(METRIC_NAMES.webhookDeliveries, { outcome: 'gave_up' })).toBe(before + 1);
  });
});
