import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startEdge } from '@outpost/mcp-edge';
import { newRunId, openStores, RunRecord } from '@outpost/shared';
import { startTestStack } from '@outpost/testkit';
import { measure, round } from './_stats.js';

export const title = 'dashboard: GET /api/runs first page with 10,000 runs of history vs the raw DynamoDB Query it makes';

const HISTORY = 10_000;
const PAGE = 25;
const REQUESTS = 300;
/** The budget for the first page, in ms of server time. */
const TARGET_MS = 200;

/**
 * Seeds one tenant with 10,000 finished runs straight into the runs table, signs in once, then
 * times the first page of `GET /api/runs` (session lookup, key check, Query, parse, JSON) against
 * the Query the run store makes for it, sent with the edge's own client. The edge runs in this
 * process and is called over loopback, so the HTTP time is server time plus a loopback round trip.
 */
export async function run(): Promise<Record<string, unknown>> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-dash-'));
  const stack = await startTestStack({ home });
  const edge = await startEdge({ config: { ...stack.config, port: 0, host: '127.0.0.1' }, clients: stack.clients });
  try {
    const stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'bench-dash', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(tenant.tenantId, 'test');
    const seedStarted = performance.now();
    await seed(stack.clients.doc, stores.names.tables.runs, tenant.tenantId);
    const seedSeconds = round((performance.now() - seedStarted) / 1000);

    const signIn = await fetch(`${edge.url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apiKey }) });
    const cookie = /outpost_session=[^;]+/.exec(signIn.headers.get('set-cookie') ?? '')?.[0];
    if (signIn.status !== 200 || !cookie) throw new Error(`sign-in failed: ${signIn.status}`);

    const page = async () => {
      const res = await fetch(`${edge.url}/api/runs?limit=${PAGE}`, { headers: { Cookie: cookie } });
      const body = (await res.json()) as { runs?: unknown[]; nextCursor?: string };
      if (res.status !== 200 || body.runs?.length !== PAGE || !body.nextCursor) throw new Error(`GET /api/runs answered ${res.status}`);
    };
    const rawQuery = async () => {
      const out = await stack.clients.doc.send(
        new QueryCommand({
          TableName: stores.names.tables.runs,
          ConsistentRead: true,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'tenantId' },
          ExpressionAttributeValues: { ':pk': tenant.tenantId },
          ScanIndexForward: false,
          Limit: PAGE + 1,
        }),
      );
      if ((out.Items ?? []).length !== PAGE + 1) throw new Error('raw query came back short');
    };
    // Warm both paths (JIT, connection pools, the key-check cache), then interleave the measurements.
    for (let i = 0; i < 20; i++) await Promise.all([page(), rawQuery()]);
    const raw = await measure(1, REQUESTS, rawQuery);
    const api = await measure(1, REQUESTS, page);
    const report = {
      history: HISTORY,
      pageSize: PAGE,
      seedSeconds,
      raw,
      api,
      ratioP50: round(api.p50 / raw.p50),
      ratioP99: round(api.p99 / raw.p99),
      targetMs: TARGET_MS,
      withinTarget: api.p99 <= TARGET_MS,
    };
    process.stdout.write(
      `first page of ${PAGE} of ${HISTORY} runs: GET /api/runs p50 ${api.p50} ms, p99 ${api.p99} ms; raw Query p50 ${raw.p50} ms, p99 ${raw.p99} ms; ` +
        `ratio p50 ${report.ratioP50}x, p99 ${report.ratioP99}x; target p99 <= ${TARGET_MS} ms: ${report.withinTarget ? 'met' : 'MISSED'}\n`,
    );
    return report;
  } finally {
    await edge.close(1_000);
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}

/** 10,000 succeeded runs, one minute apart (ids in creation order), in batches of 25 with 4 in flight. */
async function seed(doc: DynamoDBDocumentClient, table: string, tenantId: string): Promise<void> {
  const start = Date.now() - HISTORY * 60_000;
  const items = Array.from({ length: HISTORY }, (_, i) => {
    const at = new Date(start + i * 60_000).toISOString();
    return RunRecord.parse({
      tenantId,
      runId: newRunId(start + i * 60_000),
      tier: 'enterprise',
      agent: i % 3 === 0 ? 'claude' : 'shell',
      repo: 'https://github.com/example/project.git',
      task: `benchmark task ${i}`,
      taskBytes: 20,
      timeoutSeconds: 3600,
      status: 'succeeded',
      attempt: 1,
      maxAttempts: 3,
      createdAt: at,
      queuedAt: at,
      startedAt: at,
      finishedAt: at,
      exitCode: 0,
      summary: { durationMs: 1000, exitCode: 0, filesChanged: 1, insertions: 3, deletions: 1 },
      tenantStatus: `${tenantId}#succeeded`,
      tenantAgent: `${tenantId}#${i % 3 === 0 ? 'claude' : 'shell'}`,
      version: 3,
    });
  });
  const batches: RunRecord[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        let pending: Record<string, unknown>[] = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
          pending = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
        }
      }
    }),
  );
}
