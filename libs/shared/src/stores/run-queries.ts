import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RUN_INDEX } from '../aws/resources.js';
import type { TierName } from '../config/tiers.js';
import { RunRecord, type RunStatus } from '../schemas/run.js';
import { decodeCursor, encodeCursor, pick, planRunList, type ListRunsQuery } from './run-list-plan.js';
import { activePartition, tenantStatusKey, type ActiveStatus } from './run-transitions.js';

/** The runs table, for the reads (Query only, no Scan). */
export interface RunTable {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

export interface ListRunsPage {
  runs: RunRecord[];
  nextCursor?: string;
}

export interface ActiveRunsQuery {
  tier: TierName;
  status: ActiveStatus;
  /** Only entries whose sort time is before this. */
  before?: Date;
  /** @default 100 */
  limit?: number;
  startKey?: Record<string, unknown>;
}

export interface ActiveRunsPage {
  runs: RunRecord[];
  lastKey?: Record<string, unknown>;
}

/** One page of a tenant's runs, newest first, from a Query on the table or an index. */
export async function listRuns(t: RunTable, tenantId: string, query: ListRunsQuery = {}): Promise<ListRunsPage> {
  const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
  const plan = planRunList(tenantId, query);
  const { index, names, values, filters } = plan;
  let startKey = query.cursor ? decodeCursor(query.cursor, tenantId, plan.source) : undefined;
  const runs: RunRecord[] = [];
  // With a filter DynamoDB may return short pages; keep reading until the page is full.
  for (;;) {
    const out = await t.doc.send(
      new QueryCommand({
        TableName: t.tableName,
        ...(index ? { IndexName: index } : { ConsistentRead: true }),
        KeyConditionExpression: plan.keyCondition,
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        // One more than needed: DynamoDB returns a LastEvaluatedKey whenever it stops at Limit, so
        // reading exactly `limit` would hand out a cursor to an empty last page.
        Limit: filters.length ? Math.max(limit * 2, 25) : limit - runs.length + 1,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const items = out.Items ?? [];
    let used = 0;
    while (used < items.length && runs.length < limit) runs.push(RunRecord.parse(items[used++]));
    const last = runs[runs.length - 1];
    if (runs.length >= limit && last) {
      const more = used < items.length || out.LastEvaluatedKey !== undefined;
      return { runs, ...(more ? { nextCursor: encodeCursor(tenantId, plan.source, pick(last, plan.keyAttrs)) } : {}) };
    }
    if (!out.LastEvaluatedKey) return { runs };
    startKey = out.LastEvaluatedKey;
  }
}

/** Runs of one tier in one active status, oldest first (queue time or lease expiry), from the sparse index. */
export async function listActiveRuns(t: RunTable, input: ActiveRunsQuery): Promise<ActiveRunsPage> {
  const values: Record<string, unknown> = { ':pk': activePartition(input.status, input.tier) };
  let cond = 'activePk = :pk';
  if (input.before) {
    cond += ' AND activeSk < :before';
    values[':before'] = input.before.toISOString();
  }
  const out = await t.doc.send(
    new QueryCommand({
      TableName: t.tableName,
      IndexName: RUN_INDEX.active,
      KeyConditionExpression: cond,
      ExpressionAttributeValues: values,
      ScanIndexForward: true,
      Limit: input.limit ?? 100,
      ...(input.startKey ? { ExclusiveStartKey: input.startKey } : {}),
    }),
  );
  return {
    runs: (out.Items ?? []).map((i) => RunRecord.parse(i)),
    ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey } : {}),
  };
}

/** Number of a tenant's runs in a status (Query with Select COUNT on the status index). */
export async function countRunsByStatus(t: RunTable, tenantId: string, status: RunStatus): Promise<number> {
  let total = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await t.doc.send(
      new QueryCommand({
        TableName: t.tableName,
        IndexName: RUN_INDEX.byStatus,
        KeyConditionExpression: 'tenantStatus = :ts',
        ExpressionAttributeValues: { ':ts': tenantStatusKey(tenantId, status) },
        Select: 'COUNT',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    total += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return total;
}
