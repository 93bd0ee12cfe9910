import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@outpost/testkit';
import { BUILD_HINT, dispatchShell, gitRepo, localFleet, openHarness, pinPro, WORKER_BUILT, type Harness } from './helpers/fleet.js';

describe('reaper with real workers', () => {
  let h: Harness;
  let fleet: ReturnType<typeof localFleet>;
  let repo: string;

  beforeAll(async () => {
    if (!WORKER_BUILT) throw new Error(BUILD_HINT);
    h = await openHarness();
    repo = await gitRepo();
    fleet = localFleet(h, { cooldownMs: 60_000, leaseSeconds: 3, logDir: await mkdtemp(path.join(tmpdir(), 'outpost-worker-logs-')) });
    await pinPro(h, fleet.params, 1, 2);
    fleet.dispatcher.start();
  });
  afterAll(async () => {
    await fleet?.dispatcher.stop();
    await fleet?.scaler.stop();
    await h?.close();
  }, 60_000);

  /** SIGKILLs the worker that holds the run on each attempt in `attempts` (once per attempt). */
  function killHolder(tenantId: string, runId: string, attempts: number[]): { stop(): void; killed: number[] } {
    const killed: number[] = [];
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void h.stores.runs
        .get(tenantId, runId)
        .then((run) => {
          if (!run || run.status !== 'running' || !run.workerId || !attempts.includes(run.attempt) || killed.includes(run.attempt)) return;
          const pid = fleet.scaler.pidOf(run.workerId);
          if (pid === undefined) return;
          process.kill(pid, 'SIGKILL');
          killed.push(run.attempt);
        })
        .finally(() => (busy = false));
    }, 100);
    return { stop: () => clearInterval(timer), killed };
  }

  it('a worker SIGKILLed mid-run: the run is requeued when its lease expires and succeeds on attempt 2', async () => {
    const run = await dispatchShell(h, repo, 'sleep 3; echo ok > done.txt');
    const killer = killHolder(run.tenantId, run.runId, [1]);
    try {
      const ended = await until(
        async () => {
          const now = await h.stores.runs.require(run.tenantId, run.runId);
          return now.status === 'queued' || now.status === 'running' ? undefined : now;
        },
        { what: 'run ended', timeoutMs: 90_000, intervalMs: 200 },
      );
      expect(killer.killed).toEqual([1]);
      expect(ended).toMatchObject({ status: 'succeeded', attempt: 2 });
    } finally {
      killer.stop();
    }
  }, 120_000);

  it('a run whose worker dies on every attempt ends failed after max attempts', async () => {
    const run = await dispatchShell(h, repo, 'sleep 20', 3);
    const killer = killHolder(run.tenantId, run.runId, [1, 2, 3]);
    try {
      const ended = await until(
        async () => {
          const now = await h.stores.runs.require(run.tenantId, run.runId);
          return now.status === 'queued' || now.status === 'running' ? undefined : now;
        },
        { what: 'run ended', timeoutMs: 150_000, intervalMs: 200 },
      );
      expect(killer.killed).toEqual([1, 2, 3]);
      expect(ended).toMatchObject({ status: 'failed', attempt: 3, error: { code: 'lease_expired' } });
    } finally {
      killer.stop();
    }
  }, 180_000);
});
