import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { FileParameterStore, ManualClock, sendJob } from '@outpost/shared';
import { testTenant } from '@outpost/testkit';
import { mockClient } from 'aws-sdk-client-mock';
import { Dispatcher } from '../src/dispatcher.js';
import { EcsScaler } from '../src/ecs-scaler.js';
import { writeFleetOverride } from '../src/fleet-overrides.js';
import { openHarness, type Harness } from './helpers/stack.js';

describe('EcsScaler in the dispatcher loop', () => {
  let h: Harness;
  const clock = new ManualClock(Date.now());
  const ecs = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const ecsMock = mockClient(ecs);
  const service = { desired: 0, running: 0, pending: 0 };
  let dispatcher: Dispatcher;
  let params: FileParameterStore;
  const cluster = 'outpost-test';
  let serviceName: string;

  beforeAll(async () => {
    h = await openHarness(clock);
    serviceName = `${h.stack.config.prefix}-pro-worker`;
    params = new FileParameterStore(path.join(h.home, 'fleet.json'));
    dispatcher = new Dispatcher({
      sqs: h.stack.clients.sqs,
      stores: h.stores,
      scaler: new EcsScaler({ ecs, cluster, serviceName: (tier) => `${h.stack.config.prefix}-${tier}-worker` }),
      params,
      env: h.stack.config.env,
      tiers: h.stack.config.tiers,
      scaleInCooldownMs: 60_000,
      tierNames: ['pro'],
      clock,
    });
  });
  afterAll(async () => h.close());

  beforeEach(() => {
    ecsMock.reset();
    ecsMock.on(DescribeServicesCommand).callsFake(() => ({
      services: [{ serviceName, status: 'ACTIVE', desiredCount: service.desired, runningCount: service.running, pendingCount: service.pending }],
    }));
    ecsMock.on(UpdateServiceCommand).callsFake((input: { desiredCount: number }) => {
      service.desired = input.desiredCount;
      return {};
    });
  });

  async function enqueue(n: number): Promise<void> {
    const tenantId = testTenant();
    for (let i = 0; i < n; i++) await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'pro', tenantId, runId: `run_fake${i}` });
  }

  async function drainQueue(): Promise<void> {
    const url = await h.stores.queues.jobsUrl('pro');
    for (;;) {
      const out = await h.stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!out.Messages?.length) return;
      for (const m of out.Messages) await h.stack.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    }
  }

  const updates = () => ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input);

  it('scales out at once to the backlog', async () => {
    await enqueue(4);
    await dispatcher.tick();
    expect(ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([{ cluster, services: [serviceName] }]);
    expect(updates()).toEqual([{ cluster, service: serviceName, desiredCount: 4 }]);
    service.running = 3;
    service.pending = 1;
  });

  it('holds while demand is unchanged, and reports the pool in the fleet state', async () => {
    await dispatcher.tick();
    expect(updates()).toEqual([]);
    expect(await h.stores.workers.getFleetState('pro')).toMatchObject({ tier: 'pro', desired: 4, running: 3, pending: 1, min: 0, max: 10, source: 'ecs' });
  });

  it('scales in only after the cooldown of lower demand', async () => {
    await drainQueue();
    await dispatcher.tick();
    clock.advance(59_000);
    await dispatcher.tick();
    expect(updates()).toEqual([]);
    clock.advance(2_000);
    await dispatcher.tick();
    expect(updates()).toEqual([{ cluster, service: serviceName, desiredCount: 0 }]);
  });

  it('keeps a pool within pinned min/max', async () => {
    await writeFleetOverride(params, h.stack.config.env, 'pro', { minWorkers: 2, maxWorkers: 3 });
    await enqueue(9);
    await dispatcher.tick();
    expect(updates()).toEqual([{ cluster, service: serviceName, desiredCount: 3 }]);
    expect(await h.stores.workers.getFleetState('pro')).toMatchObject({ desired: 3, min: 2, max: 3 });

    ecsMock.resetHistory();
    await drainQueue();
    await dispatcher.tick();
    clock.advance(61_000);
    await dispatcher.tick();
    expect(updates()).toEqual([{ cluster, service: serviceName, desiredCount: 2 }]);
  });

  it('leaves the service alone when ECS cannot be read', async () => {
    ecsMock.reset();
    ecsMock.on(DescribeServicesCommand).rejects(new Error('ECS is down'));
    await enqueue(5);
    await expect(dispatcher.tick()).resolves.toBeDefined();
    expect(updates()).toEqual([]);
  });
});
