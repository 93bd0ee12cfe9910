import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { provisionTables } from '../src/aws/provision.js';
import { tableDefinitions } from '../src/aws/resources.js';
import { startTestStack, type TestStack } from '@outpost/testkit';

let db: TestStack;
beforeAll(async () => {
  db = await startTestStack();
});
afterAll(async () => {
  await db?.stop();
});

describe('provisionTables()', () => {
  it('is idempotent: a second run creates nothing', async () => {
    const report = await provisionTables(db.clients.dynamo, Object.values(tableDefinitions(db.config.prefix)));
    expect(report.created).toEqual([]);
  });
});
