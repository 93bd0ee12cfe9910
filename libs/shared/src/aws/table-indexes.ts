import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ScanCommand,
  UpdateTableCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from './provision.js';
import type { TableDefinition } from './resources.js';

/** What ensureIndexes did to one table. */
export type IndexUpgrade = { action: 'none' } | { action: 'updated' | 'rebuilt'; added: string[] };

type Item = Record<string, AttributeValue>;

/** Name of the copy a rebuild keeps while the table is recreated; a crash mid-way restores from it. */
export function rebuildTableName(name: string): string {
  return `${name}.rebuild`;
}

/**
 * Adds the GSIs a definition declares that an existing table lacks (a `.outpost/` from before an
 * index existed). First UpdateTable with GlobalSecondaryIndexUpdates (DynamoDB, one index per call);
 * a backend that accepts it but adds nothing (dynalite 4 validates `Create` and ignores it) gets the
 * table rebuilt: items copied to a side table, the table recreated from the definition, items
 * restored, the side table dropped. This is a migration, so it may Scan.
 */
export async function ensureIndexes(client: DynamoDBClient, def: TableDefinition): Promise<IndexUpgrade> {
  await recoverRebuild(client, def);
  const missing = await missingIndexes(client, def);
  if (missing.length === 0) return { action: 'none' };
  const create = createTableInput(def);
  for (const name of missing) {
    const gsi = create.GlobalSecondaryIndexes?.find((g) => g.IndexName === name);
    if (!gsi) continue;
    const attrs = new Set(gsi.KeySchema?.map((k) => k.AttributeName));
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: def.name,
          AttributeDefinitions: create.AttributeDefinitions?.filter((a) => attrs.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: name, KeySchema: gsi.KeySchema, Projection: gsi.Projection } }],
        }),
      );
    } catch {
      // Refused outright: the rebuild below adds it.
      break;
    }
    await waitActive(client, def.name);
  }
  if ((await missingIndexes(client, def)).length === 0) return { action: 'updated', added: missing };
  await rebuild(client, def);
  return { action: 'rebuilt', added: missing };
}

async function missingIndexes(client: DynamoDBClient, def: TableDefinition): Promise<string[]> {
  const out = await client.send(new DescribeTableCommand({ TableName: def.name }));
  const have = new Set((out.Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  return def.indexes.map((i) => i.name).filter((n) => !have.has(n));
}

async function rebuild(client: DynamoDBClient, def: TableDefinition): Promise<void> {
  const side = rebuildTableName(def.name);
  const base = createTableInput(def);
  await client.send(
    new CreateTableCommand({
      TableName: side,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: base.KeySchema,
      AttributeDefinitions: base.AttributeDefinitions?.filter((a) => base.KeySchema?.some((k) => k.AttributeName === a.AttributeName)),
    }),
  );
  await waitActive(client, side);
  await copyItems(client, def.name, side);
  await client.send(new DeleteTableCommand({ TableName: def.name }));
  await waitGone(client, def.name);
  await recoverRebuild(client, def);
}

/** A side table left behind means a rebuild stopped half-way: finish it (every step is idempotent). */
async function recoverRebuild(client: DynamoDBClient, def: TableDefinition): Promise<void> {
  const side = rebuildTableName(def.name);
  if (!(await exists(client, side))) return;
  if (!(await exists(client, def.name))) {
    await client.send(new CreateTableCommand(createTableInput(def)));
    await waitActive(client, def.name);
  }
  await copyItems(client, side, def.name);
  await client.send(new DeleteTableCommand({ TableName: side }));
  await waitGone(client, side);
}

async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) await writeAll(client, to, items.slice(i, i + 25));
    start = page.LastEvaluatedKey;
  } while (start);
}

async function writeAll(client: DynamoDBClient, table: string, items: Item[]): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let tries = 0; requests.length > 0; tries++) {
    if (tries > 20) throw new Error(`could not copy items into ${table}`);
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    requests = (out.UnprocessedItems?.[table] ?? []).flatMap((r) => (r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : []));
    if (requests.length) await new Promise((r) => setTimeout(r, 50 * (tries + 1)));
  }
}

async function exists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

async function waitActive(client: DynamoDBClient, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const t = (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
    if (t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE' || !g.IndexStatus)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

async function waitGone(client: DynamoDBClient, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (!(await exists(client, name))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${name} was not deleted`);
}
