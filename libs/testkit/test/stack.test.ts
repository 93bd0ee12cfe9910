import { describe, expect, it } from '@jest/globals';
import { stat } from 'node:fs/promises';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { openStores } from '@outpost/shared';
import { createRun, newRunInput, runIdAt, testTenant } from '../src/factories.js';
import { startTestStack } from '../src/stack.js';

describe('startTestStack()', () => {
  it('provisions every resource under its prefix and removes the home it made', async () => {
    const stack = await startTestStack();
    try {
      expect(stack.env.OUTPOST_HOME).toBe(stack.home);
      expect((await stat(stack.home)).mode & 0o777).toBe(0o755);
      const tables = (await stack.clients.dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
      expect(tables.length).toBeGreaterThan(0);
      expect(tables.every((t) => t.startsWith(stack.config.prefix))).toBe(true);
      const queues = (await stack.clients.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
      expect(queues.some((q) => q.includes(stack.config.prefix))).toBe(true);
      // The factories make records the stores accept.
      const stores = openStores(stack.config, stack.clients);
      const tenantId = testTenant();
      const run = await createRun(stores.runs, tenantId, { task: 'echo factory' });
      expect(await stores.runs.get(tenantId, run.runId)).toMatchObject({ tenantId, task: 'echo factory', status: 'queued' });
    } finally {
      await stack.stop();
    }
    await expect(stat(stack.home)).rejects.toThrow(/ENOENT/);
  });
});

describe('factories', () => {
  it('make unique tenants that keep their label order', () => {
    const a = testTenant('lista');
    const b = testTenant('listb');
    expect(a).not.toBe(testTenant('lista'));
    expect(a < b).toBe(true);
    expect(a.startsWith('ten_lista')).toBe(true);
  });

  it('make runs and run ids for an exact time', () => {
    expect(runIdAt(Date.UTC(2026, 0, 1)) < runIdAt(Date.UTC(2026, 0, 2))).toBe(true);
    expect(newRunInput('ten_x').runId).toMatch(/^run_/);
    expect(newRunInput('ten_x', { tier: 'free' })).toMatchObject({ tenantId: 'ten_x', tier: 'free', agent: 'shell' });
  });
});
