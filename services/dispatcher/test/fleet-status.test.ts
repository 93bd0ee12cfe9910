import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileParameterStore, sendJob } from '@outpost/shared';
import { Dispatcher } from '../src/dispatcher.js';
import { fleetStatus, formatFleetStatus } from '../src/fleet-admin.js';
import { writeFleetOverride } from '../src/fleet-overrides.js';
import { NullScaler } from './helpers/null-scaler.js';
import { openHarness, type Harness } from './helpers/stack.js';

describe('fleetStatus()', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => h.close());

  it('combines the dispatcher state, heartbeats, backlog and overrides per tier', async () => {
    const params = new FileParameterStore(path.join(h.home, 'fleet.json'));
    const deps = { sqs: h.stack.clients.sqs, stores: h.stores, params, env: h.stack.config.env, tiers: h.stack.config.tiers };
    expect((await fleetStatus(deps)).find((t) => t.tier === 'pro')).toMatchObject({ desired: null, updatedAt: null });

    await writeFleetOverride(params, h.stack.config.env, 'pro', { maxWorkers: 8 });
    for (const runId of ['run_a', 'run_b']) await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'pro', tenantId: 'ten_x', runId });
    const hb = { tier: 'pro' as const, capacity: 1, agents: ['shell' as const], version: 't', startedAt: new Date().toISOString() };
    await h.stores.workers.heartbeat({ ...hb, workerId: 'wkr_1', state: 'busy', currentRuns: ['run_a'] }, 60);
    await h.stores.workers.heartbeat({ ...hb, workerId: 'wkr_2', state: 'idle', currentRuns: [] }, 60);
    await new Dispatcher({ ...deps, scaler: new NullScaler(), tierNames: ['pro'] }).tick();

    const rows = await fleetStatus({ ...deps, localCap: 4 });
    expect(rows.find((t) => t.tier === 'pro')).toMatchObject({
      desired: 2,
      busy: 1,
      idle: 1,
      backlog: 2,
      min: 0,
      max: 4,
      override: { maxWorkers: 8 },
      source: 'local',
      notes: ['max capped at 4 (OUTPOST_LOCAL_MAX_WORKERS)'],
    });
    expect(formatFleetStatus(rows)).toMatch(/^pro\s+2\s+0\s+0\s+1\s+1\s+2\s+0-4\s+1\s+\{"maxWorkers":8\}/m);
  });
});
