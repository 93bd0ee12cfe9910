import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { until } from '@outpost/testkit';
import type { TaskProtection } from '../src/task-protection.js';
import { Worker } from '../src/worker.js';
import { harness, makeRepo, type Harness } from './helpers.js';

describe('worker heartbeat and task protection', () => {
  let h: Harness;
  const protection: boolean[] = [];
  const tp: TaskProtection = { set: async (on) => void protection.push(on) };
  let worker: Worker;
  beforeAll(async () => {
    h = await harness();
    worker = new Worker({ config: h.config({ OUTPOST_AGENT_GROK_BIN: '/nonexistent/grok' }), clients: h.stack.clients, params: h.params, stores: h.stores, taskProtection: tp });
    h.workers.push(worker);
    await worker.start();
  }, 60_000);
  afterAll(async () => h?.stop());

  it('reports idle with the agents whose binary runs, busy with its run while one lasts (protected), and is gone after stop', async () => {
    const idle = await until(async () => (await h.stores.workers.listLive('free')).find((w) => w.workerId === worker.workerId));
    expect(idle).toMatchObject({ state: 'idle', currentRuns: [], capacity: 2, pid: process.pid });
    expect([...idle.agents].sort()).toEqual(['aider', 'claude', 'codex', 'gemini', 'shell']);

    const repo = await makeRepo(h.tmp);
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'sleep 2' });
    const busy = await until(async () => (await h.stores.workers.listLive('free')).find((w) => w.workerId === worker.workerId && w.state === 'busy'));
    expect(busy.currentRuns).toEqual([run.runId]);
    await h.waitEnd(run);
    await until(async () => (await h.stores.workers.listLive('free')).find((w) => w.workerId === worker.workerId && w.state === 'idle'));
    await until(() => protection.length >= 2);
    expect(protection).toEqual([true, false]);

    await worker.stop({ graceMs: 0 });
    expect((await h.stores.workers.listLive('free')).map((w) => w.workerId)).not.toContain(worker.workerId);
  });
});
