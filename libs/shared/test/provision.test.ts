import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { provisionTables } from '../src/aws/provision.js';
import { tableDefinitions } from '../src/aws/resources.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';

let db: TestDynamo;
beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => {
  await db?.stop();
});

describe('provisionTables()', () => {
  it('is idempotent: a second run creates nothing', async () => {
    const report = await provisionTables(db.clients.dynamo, Object.values(tableDefinitions(db.prefix)));
    expect(report.created).toEqual([]);
  });
});
