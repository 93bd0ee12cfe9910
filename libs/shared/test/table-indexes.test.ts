import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createTableInput, provisionTables } from '../src/aws/provision.js';
import { tableDefinitions, type TableDefinition } from '../src/aws/resources.js';
import { ensureIndexes, rebuildTableName } from '../src/aws/table-indexes.js';
import { startTestDynamo, type TestDynamo } from './helpers/dynamo.js';

let db: TestDynamo;
beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => {
  await db?.stop();
});

/** A runs table as it was before the follow-up indexes: the same definition without them. */
async function oldRunsTable(name: string): Promise<TableDefinition> {
  const def = { ...tableDefinitions(db.prefix).runs, name };
  const old = { ...def, indexes: def.indexes.filter((i) => i.name !== 'byParent' && i.name !== 'byChain') };
  await db.clients.dynamo.send(new CreateTableCommand(createTableInput(old)));
  return def;
}

async function indexNames(name: string): Promise<string[]> {
  const out = await db.clients.dynamo.send(new DescribeTableCommand({ TableName: name }));
  return (out.Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName ?? '').sort();
}

describe('ensureIndexes()', () => {
  it('adds the missing GSIs to an existing table and keeps every item, which the new index then finds', async () => {
    const def = await oldRunsTable(`${db.prefix}-old-runs`);
    const items = Array.from({ length: 60 }, (_, i) => ({
      tenantId: 'ten_a',
      runId: `run_${String(i).padStart(3, '0')}`,
      tenantStatus: 'ten_a#succeeded',
      tenantAgent: 'ten_a#shell',
      createdAt: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      ...(i % 2 ? { parentKey: 'ten_a#run_000' } : {}),
    }));
    for (const Item of items) await db.clients.doc.send(new PutCommand({ TableName: def.name, Item }));

    const upgrade = await ensureIndexes(db.clients.dynamo, def);

    expect(upgrade.action).not.toBe('none');
    expect(upgrade).toMatchObject({ added: ['byParent', 'byChain'] });
    expect(await indexNames(def.name)).toEqual(def.indexes.map((i) => i.name).sort());
    const children = await db.clients.doc.send(
      new QueryCommand({
        TableName: def.name,
        IndexName: 'byParent',
        KeyConditionExpression: 'parentKey = :p',
        ExpressionAttributeValues: { ':p': 'ten_a#run_000' },
      }),
    );
    expect(children.Items).toHaveLength(30);
    const all = await db.clients.doc.send(
      new QueryCommand({ TableName: def.name, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': 'ten_a' } }),
    );
    expect(all.Items).toHaveLength(60);
    const tables = await db.clients.dynamo.send(new ListTablesCommand({}));
    expect(tables.TableNames).not.toContain(rebuildTableName(def.name));
  });

  it('does nothing to a table that has every index', async () => {
    expect(await ensureIndexes(db.clients.dynamo, tableDefinitions(db.prefix).runs)).toEqual({ action: 'none' });
  });

  it('finishes a rebuild that stopped after the table was dropped (the side table holds the items)', async () => {
    const def = { ...tableDefinitions(db.prefix).runs, name: `${db.prefix}-half-runs` };
    const side = rebuildTableName(def.name);
    const base = createTableInput(def);
    await db.clients.dynamo.send(
      new CreateTableCommand({ TableName: side, BillingMode: 'PAY_PER_REQUEST', KeySchema: base.KeySchema, AttributeDefinitions: base.AttributeDefinitions?.slice(0, 2) }),
    );
    await db.clients.doc.send(new PutCommand({ TableName: side, Item: { tenantId: 'ten_b', runId: 'run_1', tenantStatus: 'x', tenantAgent: 'y' } }));

    // The table is missing (dropped mid-rebuild): provisioning creates it and restores the items.
    await provisionTables(db.clients.dynamo, [def]);

    const all = await db.clients.doc.send(
      new QueryCommand({ TableName: def.name, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': 'ten_b' } }),
    );
    expect(all.Items).toHaveLength(1);
    const tables = await db.clients.dynamo.send(new ListTablesCommand({}));
    expect(tables.TableNames).not.toContain(side);
  });
});

describe('provisionTables() on an old table', () => {
  it('reports the indexes it added', async () => {
    const def = await oldRunsTable(`${db.prefix}-old2-runs`);
    const report = await provisionTables(db.clients.dynamo, [def]);
    expect(report.created).toEqual([expect.stringMatching(/^indexes byParent, byChain on table .*-old2-runs \((rebuilt|updated)\)$/)]);
  });
});
