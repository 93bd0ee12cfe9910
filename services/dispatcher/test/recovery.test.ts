import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { FileParameterStore, ManualClock, openStores, RunStore, sendJob, type Stores } from '@outpost/shared';
import { newRunInput, testTenant } from '@outpost/testkit';
import { Dispatcher } from '../src/dispatcher.js';
import { NullScaler } from './helpers/null-scaler.js';
import { openHarness, queueDepth, receiveAll, type Harness } from './helpers/stack.js';

describe('recovery', () => {
  let h: Harness;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    h = await openHarness(clock);
  });
  afterAll(async () => h.close());

  function dispatcher(stores: Stores = h.stores): Dispatcher {
    return new Dispatcher({
      sqs: h.stack.clients.sqs,
      stores,
      scaler: new NullScaler(),
      params: new FileParameterStore(path.join(h.home, 'fleet.json')),
      env: h.stack.config.env,
      tiers: h.stack.config.tiers,
      staleQueuedMs: 120_000,
      countersIntervalMs: 0,
      clock,
    });
  }

  async function leasedRun(maxAttempts = 3) {
    const run = await h.stores.runs.create(newRunInput(testTenant(), { maxAttempts }));
    await h.stores.runs.acquireLease({ tenantId: run.tenantId, runId: run.runId, tier: 'pro', workerId: 'wkr_dead', leaseMs: 30_000 });
    return run;
  }

  describe('expired leases and stale queued runs, with two dispatchers at once', () => {
    it('recovers each run exactly once: one message per run, attempts unchanged', async () => {
      const expired = await Promise.all([1, 2, 3, 4, 5].map(() => leasedRun()));
      const stale = await Promise.all([1, 2, 3, 4, 5].map(() => h.stores.runs.create(newRunInput(testTenant()))));
      clock.advance(121_000);
      const fresh = await h.stores.runs.create(newRunInput(testTenant())); // queued just now: not stale

      const second = openStores(h.stack.config, h.stack.clients, clock); // another process, as during a deploy
      const [a, b] = await Promise.all([dispatcher().tick(), dispatcher(second).tick()]);
      const pro = (r: typeof a) => r.find((t) => t.tier === 'pro')!;
      expect((pro(a).requeued ?? 0) + (pro(b).requeued ?? 0)).toBe(5);
      expect((pro(a).resent ?? 0) + (pro(b).resent ?? 0)).toBe(5);

      const messages = await receiveAll(h, await h.stores.queues.jobsUrl('pro'));
      expect(messages.map((m) => m.runId).sort()).toEqual([...expired, ...stale].map((r) => r.runId).sort());
      for (const run of expired) expect(await h.stores.runs.require(run.tenantId, run.runId)).toMatchObject({ status: 'queued', attempt: 1 });
      for (const run of stale) expect(await h.stores.runs.require(run.tenantId, run.runId)).toMatchObject({ status: 'queued', attempt: 0 });
      expect((await h.stores.runs.require(fresh.tenantId, fresh.runId)).status).toBe('queued');

      // Repeating the tick changes nothing: the requeued runs are fresh again.
      await dispatcher().tick();
      expect(await receiveAll(h, await h.stores.queues.jobsUrl('pro'))).toEqual([]);
    });

    it('fails a run whose lease expired with no attempts left', async () => {
      const run = await leasedRun(1);
      clock.advance(31_000);
      await dispatcher().tick();
      expect(await h.stores.runs.require(run.tenantId, run.runId)).toMatchObject({ status: 'failed', error: { code: 'lease_expired' }, attempt: 1 });
      expect(await receiveAll(h, await h.stores.queues.jobsUrl('pro'))).toEqual([]);
    });

    it('leaves a live lease alone', async () => {
      const run = await leasedRun();
      clock.advance(10_000);
      await dispatcher().tick();
      expect(await h.stores.runs.require(run.tenantId, run.runId)).toMatchObject({ status: 'running', workerId: 'wkr_dead' });
    });
  });

  describe('stale queued runs under a backlog', () => {
    it('waits until the queue has nothing visible before sending a stale run again', async () => {
      // The free tier, untouched by the other tests of this file.
      const stale = await h.stores.runs.create(newRunInput(testTenant(), { tier: 'free' }));
      clock.advance(121_000);
      const waiting = await h.stores.runs.create(newRunInput(testTenant(), { tier: 'free' }));
      await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: waiting.tenantId, runId: waiting.runId });
      const freeQueue = await h.stores.queues.jobsUrl('free');

      const [first] = (await dispatcher().tick()).filter((t) => t.tier === 'free');
      expect(first?.resent).toBeUndefined();
      expect((await receiveAll(h, freeQueue)).map((m) => m.runId)).toEqual([waiting.runId]);

      const [second] = (await dispatcher().tick()).filter((t) => t.tier === 'free');
      expect(second?.resent).toBe(1);
      expect((await receiveAll(h, freeQueue)).map((m) => m.runId)).toEqual([stale.runId]);
    });
  });

  describe('dead letters', () => {
    it('fails dead-lettered runs, leaves settled or leased ones, deletes every message', async () => {
      const queued = await h.stores.runs.create(newRunInput(testTenant()));
      const leased = await h.stores.runs.create(newRunInput(testTenant()));
      await h.stores.runs.acquireLease({ tenantId: leased.tenantId, runId: leased.runId, tier: 'pro', workerId: 'wkr_live', leaseMs: 600_000 });
      const dlq = await h.stores.queues.dlqUrl('pro');
      const send = (body: string) => h.stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: body }));
      await send(JSON.stringify({ v: 1, tenantId: queued.tenantId, runId: queued.runId }));
      await send(JSON.stringify({ v: 1, tenantId: leased.tenantId, runId: leased.runId }));
      await send(JSON.stringify({ v: 1, tenantId: 'ten_gone', runId: 'run_gone' }));
      await send('not json at all');

      const [report] = (await dispatcher().tick()).filter((t) => t.tier === 'pro');
      expect(report?.deadLettered).toBe(1);
      expect(await h.stores.runs.require(queued.tenantId, queued.runId)).toMatchObject({ status: 'failed', error: { code: 'dead_lettered' } });
      expect((await h.stores.runs.require(leased.tenantId, leased.runId)).status).toBe('running');
      expect(await queueDepth(h, dlq)).toEqual({ visible: 0, inFlight: 0 });
    });
  });

  describe('active counters', () => {
    it('corrects a wrong counter after two passes that agree, and a counter left by a lost decrement', async () => {
      const a = testTenant();
      await h.stores.runs.create(newRunInput(a));
      await h.stores.runs.create(newRunInput(a));
      await h.stores.usage.setActive(a, 5);
      const b = testTenant();
      const bRun = await h.stores.runs.create(newRunInput(b));
      await h.stores.usage.setActive(b, 1);

      const d = dispatcher();
      await d.tick();
      expect(await h.stores.usage.getActive(a)).toBe(5); // one sighting is not enough
      await d.tick();
      expect(await h.stores.usage.getActive(a)).toBe(2);
      expect(await h.stores.usage.getActive(b)).toBe(1);

      // The run ends but its decrement is lost (a store with no onRunEnded hook).
      await new RunStore({ tableName: h.stores.names.tables.runs, doc: h.stack.clients.doc, clock }).cancelQueued({ tenantId: b, runId: bRun.runId });
      await d.tick();
      await d.tick();
      expect(await h.stores.usage.getActive(b)).toBe(0);
      const marks = h.stores.usage.marks;
      expect(await marks.list()).toContain(a);
      await d.tick();
      expect(await marks.list()).not.toContain(b);
    });

    it('finds a counter left above zero by a run that started and ended between two passes (admission marks the tenant)', async () => {
      const c = testTenant();
      // Admission took a slot (and marked the tenant); the run then ended without its decrement,
      // before any pass saw it in the active index.
      await h.stores.usage.acquireActive(c, 1, 5);
      expect(await h.stores.usage.marks.list()).toContain(c);
      const d = dispatcher();
      await d.tick();
      await d.tick();
      expect(await h.stores.usage.getActive(c)).toBe(0);
      clock.advance(1000);
      await d.tick();
      expect(await h.stores.usage.marks.list()).not.toContain(c);
    });

    it('keeps a mark that admission wrote after the pass began', async () => {
      const e = testTenant();
      const marks = h.stores.usage.marks;
      await marks.mark(e, '2030-01-01T00:00:00.000Z');
      await marks.unmark(e, '2029-12-31T23:59:59.000Z');
      expect(await marks.list()).toContain(e);
      await marks.unmark(e, '2030-01-01T00:00:00.000Z');
      expect(await marks.list()).not.toContain(e);
    });
  });
});
