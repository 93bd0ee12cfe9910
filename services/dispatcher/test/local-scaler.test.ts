import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@outpost/testkit';
import { LocalScaler } from '../src/local-scaler.js';
import { openHarness, type Harness } from './helpers/stack.js';

const STAND_IN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/stand-in-worker.mjs');

describe('LocalScaler (stand-in workers)', () => {
  let h: Harness;
  let scaler: LocalScaler;

  beforeAll(async () => {
    h = await openHarness();
    scaler = new LocalScaler({
      workers: h.stores.workers,
      entry: STAND_IN,
      env: { ...(process.env as Record<string, string>), ...h.stack.env },
      restartBackoffMs: 200,
      stopTimeoutMs: 20_000,
      output: 'ignore',
    });
  });
  afterAll(async () => {
    await scaler.stop();
    await h.close();
  });

  const live = async () => (await h.stores.workers.listLive('pro')).filter((hb) => scaler.workerIds('pro').includes(hb.workerId));

  it('starts workers up to the target, which heartbeat', async () => {
    await scaler.apply('pro', 3);
    expect(scaler.workerIds('pro')).toHaveLength(3);
    await until(async () => (await live()).length === 3, { what: '3 heartbeats' });
    expect(await scaler.observe('pro')).toEqual({ desired: 3, running: 3, pending: 0 });
  });

  it('stops only idle workers when scaled in', async () => {
    const [busyId] = scaler.workerIds('pro');
    await writeFile(path.join(h.home, `busy-${busyId}`), '');
    await until(async () => (await live()).some((hb) => hb.workerId === busyId && hb.state === 'busy'), { what: 'busy heartbeat' });
    await scaler.apply('pro', 0);
    await until(() => scaler.workerIds('pro').length === 1, { what: 'idle workers stopped' });
    expect(scaler.workerIds('pro')).toEqual([busyId]);
    await scaler.apply('pro', 0); // still busy: still running
    expect(scaler.workerIds('pro')).toEqual([busyId]);
  });

  it('restarts a worker that crashed, with a new id', async () => {
    await scaler.apply('pro', 1);
    const [old] = scaler.workerIds('pro');
    process.kill(scaler.pidOf(old!)!, 'SIGKILL');
    const replacement = await until(() => scaler.workerIds('pro').find((id) => id !== old), { what: 'a restarted worker' });
    await until(async () => (await live()).some((hb) => hb.workerId === replacement), { what: 'its heartbeat' });
  });

  it('stop() stops every child and waits for them', async () => {
    await scaler.apply('free', 2);
    const pids = [...scaler.workerIds('pro'), ...scaler.workerIds('free')].map((id) => scaler.pidOf(id)!);
    await scaler.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('LocalScaler stop() during a scale-in drain', () => {
  let h: Harness;
  afterAll(async () => h?.close());

  it('signals a worker it already asked to stop no second time, and still waits for it', async () => {
    h = await openHarness();
    const scaler = new LocalScaler({
      workers: h.stores.workers,
      entry: STAND_IN,
      env: { ...(process.env as Record<string, string>), ...h.stack.env, STAND_IN_DRAIN_MS: '1000' },
      stopTimeoutMs: 20_000,
      output: 'ignore',
    });
    await scaler.apply('free', 1);
    const [id] = scaler.workerIds('free');
    await until(async () => (await h.stores.workers.listLive('free')).some((hb) => hb.workerId === id && hb.state === 'idle'), { what: 'idle heartbeat' });
    const pid = scaler.pidOf(id!)!;
    await scaler.apply('free', 0); // scale-in: SIGTERM, and the stand-in drains for a second
    expect(scaler.workerIds('free')).toEqual([]);
    await scaler.stop(); // the stack stops during that drain
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await readFile(path.join(h.home, `signals-${id}`), 'utf8')).trim().split('\n')).toEqual(['SIGTERM']);
  });
});
