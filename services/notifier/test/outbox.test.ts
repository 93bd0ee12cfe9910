import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { OutboxStore, type Promotion } from '@outpost/shared';
import { newRunInput, testTenant } from '@outpost/testkit';
import { openHarness, type Harness } from './helpers/stack.js';

describe('the run store marks webhook events in the transition write', () => {
  let h: Harness;
  let outbox: OutboxStore;
  beforeAll(async () => {
    h = await openHarness();
    outbox = new OutboxStore({ tableName: h.stores.names.tables.runs, doc: h.stack.clients.doc });
  });
  afterAll(() => h.close());

  async function pendingOf(runId: string) {
    for (let shard = 0; shard < 4; shard++) {
      const hit = (await outbox.pending(shard, 100)).find((p) => p.run.runId === runId);
      if (hit) return hit;
    }
    return undefined;
  }

  it('keeps started, succeeded and promoted until relayed, and refuses a stale clear', async () => {
    const tenant = testTenant();
    const run = await h.stores.runs.create(newRunInput(tenant));
    expect(await pendingOf(run.runId)).toBeUndefined(); // queued: nothing to tell
    const { leaseToken } = await h.stores.runs.acquireLease({ tenantId: tenant, runId: run.runId, tier: 'pro', workerId: 'wkr_t', leaseMs: 30_000 });
    const afterStart = await pendingOf(run.runId);
    expect(afterStart?.events.map((e) => e.event)).toEqual(['run.started']);

    await h.stores.runs.finish({ tenantId: tenant, runId: run.runId, leaseToken, status: 'succeeded', exitCode: 0 });
    const promotion: Promotion = { status: 'succeeded', requestedAt: new Date().toISOString(), branch: 'outpost/x', createPullRequest: true, pullRequestUrl: 'https://github.com/o/r/pull/1' };
    await h.stores.runs.setPromotion({ tenantId: tenant, runId: run.runId, promotion });
    const pending = await pendingOf(run.runId);
    expect(pending?.events.map((e) => e.event).sort()).toEqual(['run.promoted', 'run.started', 'run.succeeded']);
    expect(pending?.run.status).toBe('succeeded');

    expect(await outbox.clear(tenant, run.runId, afterStart!.outboxSk)).toBe(false); // newer events arrived since
    expect(await outbox.clear(tenant, run.runId, pending!.outboxSk)).toBe(true);
    expect(await pendingOf(run.runId)).toBeUndefined();
  });

  it.each([
    ['cancelQueued', 'run.cancelled'],
    ['failDeadLettered', 'run.failed'],
  ] as const)('%s marks %s', async (method, event) => {
    const tenant = testTenant();
    const run = await h.stores.runs.create(newRunInput(tenant));
    await h.stores.runs[method]({ tenantId: tenant, runId: run.runId });
    expect((await pendingOf(run.runId))?.events.map((e) => e.event)).toEqual([event]);
  });

  it('a pending promotion is no event', async () => {
    const tenant = testTenant();
    const runId = await h.finishedRun(tenant);
    const before = await pendingOf(runId);
    await outbox.clear(tenant, runId, before!.outboxSk);
    await h.stores.runs.setPromotion({ tenantId: tenant, runId, promotion: { status: 'pending', requestedAt: new Date().toISOString(), branch: 'b', createPullRequest: false } });
    expect(await pendingOf(runId)).toBeUndefined();
  });

  it('skips an entry it cannot read instead of blocking the relay', async () => {
    const tenant = testTenant();
    const runId = await h.finishedRun(tenant);
    await h.stack.clients.doc.send(
      new UpdateCommand({
        TableName: h.stores.names.tables.runs,
        Key: { tenantId: tenant, runId },
        UpdateExpression: 'ADD outboxEvents :e',
        ExpressionAttributeValues: { ':e': new Set(['run.exploded@2026-01-01T00:00:00.000Z', 'garbage']) },
      }),
    );
    expect((await pendingOf(runId))?.events.map((e) => e.event).sort()).toEqual(['run.started', 'run.succeeded']);
    while ((await h.relay.pass()).runs > 0);
    expect(await pendingOf(runId)).toBeUndefined();
  });
});
