import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { resourceNames } from '../src/aws/resources.js';
import { followUpLink, retryLink, RunChains } from '../src/stores/run-chains.js';
import { RunStore } from '../src/stores/run-store.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';
import { createRun, testTenant } from './helpers/runs.js';

let db: TestDynamo;
let runs: RunStore;
let chains: RunChains;
beforeAll(async () => {
  db = await startTestDynamo();
  const tableName = resourceNames(db.prefix).tables.runs;
  runs = new RunStore({ tableName, doc: db.clients.doc });
  chains = new RunChains({ tableName, doc: db.clients.doc });
});
afterAll(async () => {
  await db?.stop();
});

describe('RunChains', () => {
  it('finds a run\'s children and a chain\'s members, oldest first, with depth and root', async () => {
    const tenantId = testTenant();
    const root = await createRun(runs, tenantId);
    const a = await createRun(runs, tenantId, { chain: followUpLink(root) });
    const b = await createRun(runs, tenantId, { chain: followUpLink(root) });
    const a2 = await createRun(runs, tenantId, { chain: followUpLink(a) });

    expect((await chains.children(tenantId, root.runId)).map((r) => r.runId)).toEqual([a.runId, b.runId]);
    expect((await chains.children(tenantId, a.runId)).map((r) => r.runId)).toEqual([a2.runId]);
    expect((await chains.members(tenantId, root.runId)).map((r) => r.runId)).toEqual([a.runId, b.runId, a2.runId]);
    expect(a2).toMatchObject({ parentRunId: a.runId, chainRootId: root.runId, chainDepth: 2 });
    expect(root.parentRunId).toBeUndefined();
  });

  it("never returns another tenant's runs, whatever run id is named", async () => {
    const mine = testTenant();
    const theirs = testTenant();
    const root = await createRun(runs, theirs);
    await createRun(runs, theirs, { chain: followUpLink(root) });

    expect(await chains.children(mine, root.runId)).toEqual([]);
    expect(await chains.members(mine, root.runId)).toEqual([]);
  });

  it('a retry keeps the place in the chain and names the run it repeats', async () => {
    const tenantId = testTenant();
    const root = await createRun(runs, tenantId);
    const child = await createRun(runs, tenantId, { chain: followUpLink(root) });
    const retry = await createRun(runs, tenantId, { chain: retryLink(child) });
    const rootRetry = await createRun(runs, tenantId, { chain: retryLink(root) });

    expect(retry).toMatchObject({ parentRunId: root.runId, chainRootId: root.runId, chainDepth: 1, retryOfRunId: child.runId });
    expect(rootRetry).toMatchObject({ retryOfRunId: root.runId });
    expect(rootRetry.parentRunId).toBeUndefined();
    expect((await chains.children(tenantId, root.runId)).map((r) => r.runId)).toEqual([child.runId, retry.runId]);
  });
});
