import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { artifactKeys } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { harness, makeRepo, type Harness } from './helpers.js';

const asRoot = process.getuid?.() === 0;

// Concurrent agents under one uid could read each other's /proc/<pid>/environ (other tenants' keys).
(asRoot ? describe : describe.skip)('worker › one uid per run slot (OUTPOST_AGENT_UID_BASE)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    await h.startWorker({ OUTPOST_AGENT_UID_BASE: '310000', OUTPOST_WORKER_CONCURRENCY: '2' });
  }, 60_000);
  afterAll(async () => h?.stop());

  it('runs two concurrent agents under different bare uids, and they can still commit', async () => {
    const repo = await makeRepo(h.tmp);
    const task = 'echo "uid=$(id -u)"; echo x > f.txt; git add -A && git commit -q -m "agent commit" && echo committed; sleep 2';
    const runs = [await h.dispatch({ agent: 'shell', repo: repo.dir, task }), await h.dispatch({ agent: 'shell', repo: repo.dir, task })];
    // Both must be running at the same time for the slots to differ.
    await until(async () => (await Promise.all(runs.map((r) => h.stores.runs.require(r.tenantId, r.runId)))).every((r) => r.status === 'running'), {
      what: 'both runs to be running',
    });
    const ends = await Promise.all(runs.map((r) => h.waitEnd(r)));
    expect(ends.map((e) => e.status)).toEqual(['succeeded', 'succeeded']);
    const uids = new Set<string>();
    for (const e of ends) {
      const log = (await h.s3Objects(artifactKeys.artifact(e.tenantId, e.runId, 'log.txt')))[0]!.body.toString();
      uids.add(/uid=(\d+)/.exec(log)?.[1] ?? '');
      expect(log).toContain('committed');
      expect(e.summary?.committed).toBe(true);
    }
    expect([...uids].sort()).toEqual(['310000', '310001']);
  });
});
