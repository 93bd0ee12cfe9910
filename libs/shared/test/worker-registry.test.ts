import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { ManualClock } from '../src/core/clock.js';
import { newWorkerId } from '../src/core/ids.js';
import { resourceNames } from '../src/aws/resources.js';
import { WorkerRegistry } from '../src/stores/worker-registry.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';

let db: TestDynamo;
let clock: ManualClock;
let workers: WorkerRegistry;

beforeAll(async () => {
  db = await startTestDynamo();
  clock = new ManualClock();
  workers = new WorkerRegistry({ tableName: resourceNames(db.prefix).tables.workers, doc: db.clients.doc, clock });
});
afterAll(async () => {
  await db?.stop();
});

const beat = (workerId: string) => ({
  tier: 'pro' as const,
  workerId,
  state: 'idle' as const,
  currentRuns: [],
  capacity: 1,
  agents: ['shell' as const],
  version: '0.1.0',
  startedAt: clock.now().toISOString(),
});

describe('WorkerRegistry', () => {
  it('lists live workers only: an expired heartbeat is ignored, a removed one is gone', async () => {
    const a = newWorkerId();
    const b = newWorkerId();
    await workers.heartbeat(beat(a), 30);
    clock.advance(20_000);
    await workers.heartbeat(beat(b), 30);
    expect((await workers.listLive('pro')).map((w) => w.workerId).sort()).toEqual([a, b].sort());
    clock.advance(15_000); // a expired (35 s > 30 s), b alive
    expect((await workers.listLive('pro')).map((w) => w.workerId)).toEqual([b]);
    await workers.remove('pro', b);
    expect(await workers.listLive('pro')).toEqual([]);
    expect(await workers.listLive('free')).toEqual([]);
  });

  it('keeps per-tier fleet state apart from heartbeats', async () => {
    await workers.heartbeat(beat(newWorkerId()), 60);
    expect(await workers.getFleetState('enterprise')).toBeUndefined();
    const state = await workers.putFleetState({ tier: 'pro', desired: 2, running: 1, pending: 1, min: 0, max: 10, source: 'local' });
    expect(await workers.getFleetState('pro')).toEqual(state);
    expect((await workers.listLive('pro')).every((w) => w.workerId.startsWith('wkr_'))).toBe(true);
  });
});
