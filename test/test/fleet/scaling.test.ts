import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunRecord } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { BUILD_HINT, dispatchShell, gitRepo, localFleet, openHarness, pinPro, WORKER_BUILT, type Harness } from './helpers/fleet.js';

describe('local fleet scaling with real workers', () => {
  let h: Harness;
  let fleet: ReturnType<typeof localFleet>;
  let repo: string;

  beforeAll(async () => {
    if (!WORKER_BUILT) throw new Error(BUILD_HINT);
    h = await openHarness();
    repo = await gitRepo();
    fleet = localFleet(h, { cooldownMs: 2_000, logDir: await mkdtemp(path.join(tmpdir(), 'outpost-worker-logs-')) });
    await pinPro(h, fleet.params, 0, 3);
  });
  afterAll(async () => {
    await fleet?.dispatcher.stop();
    await fleet?.scaler.stop();
    await h?.close();
  }, 60_000);

  it('grows to max 3 workers for 10 runs, runs them all, and shrinks back to min after the cooldown', async () => {
    const runs: RunRecord[] = [];
    for (let i = 0; i < 10; i++) runs.push(await dispatchShell(h, repo, `sleep 1; echo run ${i} > out-${i}.txt`));
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, fleet.scaler.workerIds('pro').length)), 50);
    fleet.dispatcher.start();
    try {
      await until(() => fleet.scaler.workerIds('pro').length === 3, { what: '3 workers', timeoutMs: 30_000 });
      const ended = await until(
        async () => {
          const now = await Promise.all(runs.map((r) => h.stores.runs.require(r.tenantId, r.runId)));
          return now.every((r) => r.status !== 'queued' && r.status !== 'running') ? now : undefined;
        },
        { what: 'all runs ended', timeoutMs: 150_000, intervalMs: 500 },
      );
      expect(ended.map((r) => r.status)).toEqual(Array(10).fill('succeeded'));
      await until(() => fleet.scaler.workerIds('pro').length === 0, { what: 'back to min (0)', timeoutMs: 60_000 });
      expect(most).toBe(3);
      // The tick records the fleet state after the scaler stopped the workers: wait for that write.
      const state = await until(async () => {
        const s = await h.stores.workers.getFleetState('pro');
        return s?.desired === 0 ? s : undefined;
      }, { what: 'fleet state desired 0', timeoutMs: 10_000 });
      expect(state).toMatchObject({ desired: 0, min: 0, max: 3, source: 'local' });
    } finally {
      clearInterval(sampler);
    }
  }, 240_000);
});
