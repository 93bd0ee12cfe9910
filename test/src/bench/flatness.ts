import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Dispatcher, type Scaler } from '@outpost/dispatcher';
import { startEdge } from '@outpost/mcp-edge';
import { FileParameterStore, newRunId, openStores, resolveTiers } from '@outpost/shared';
import { startTestStack } from '@outpost/testkit';
import { measure, round, type Stats } from './_stats.js';

export const title = 'reads that stay flat: get_run, list_runs, fleet_status and the dispatcher tick, small vs large tables';

/** Stored runs and tenants of the large case (`BENCH_FLAT_RUNS`, `BENCH_FLAT_TENANTS` to try smaller). */
const BIG_RUNS = Number(process.env.BENCH_FLAT_RUNS ?? 100_000);
const BIG_TENANTS = Number(process.env.BENCH_FLAT_TENANTS ?? 10_000);
const SMALL_RUNS = 1_000;
const SMALL_TENANTS = 10;

/** A scaler that changes nothing: the tick's own reads and writes are what is measured. */
const nullScaler: Scaler = {
  source: 'local',
  observe: async () => ({ desired: 0, running: 0, pending: 0 }),
  apply: async () => {},
  stop: async () => {},
};

/**
 * One stack; the same reads measured at 1,000 stored runs of 10 tenants, again after seeding up to
 * 100,000 runs (same 10 tenants), again after spreading runs over 10,000 tenants. Runs are seeded
 * straight into the table (BatchWrite, terminal: succeeded), shaped as the run store writes them;
 * the active set (what a tick must look at) stays the same, so a ratio above 1 is a read that
 * grows with what is stored.
 */
export async function run(): Promise<Record<string, unknown>> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-flat-'));
  const stack = await startTestStack({ home });
  const tiers = resolveTiers({ enterprise: { activeRunsPerTenant: 10_000_000, runsPerDay: null } });
  const edge = await startEdge({ config: { ...stack.config, tiers, port: 0, host: '127.0.0.1' }, clients: stack.clients });
  const clients: Client[] = [];
  try {
    const stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'flat', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(tenant.tenantId, 'test');
    for (let i = 0; i < 4; i++) {
      const c = new Client({ name: `flat-${i}`, version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
      clients.push(c);
    }
    const dispatcher = new Dispatcher({
      sqs: stack.clients.sqs,
      stores,
      scaler: nullScaler,
      params: new FileParameterStore(path.join(home, 'fleet.json')),
      env: stack.config.env,
      tiers,
      countersIntervalMs: 0, // every tick includes the counter pass, the part that walks tenants
    });
    // A few runs of the measured tenant: the one get_run reads, a handful queued (the active set).
    const own = (await clients[0]!.callTool({ name: 'dispatch', arguments: { agent: 'shell', task: 'echo flat', repo: 'https://github.com/example/project.git' } }))
      .structuredContent as { runs: { runId: string }[] };
    const runId = own.runs[0]!.runId;
    const table = stores.names.tables.runs;
    const others = Array.from({ length: SMALL_TENANTS - 1 }, (_, i) => `ten_flat${String(i).padStart(5, '0')}`);
    const tenantsSmall = [tenant.tenantId, ...others];

    const call = async (name: string, args: Record<string, unknown>, w: number) => {
      const res = await clients[w % clients.length]!.callTool({ name, arguments: args });
      if (res.isError) throw new Error(`${name}: ${JSON.stringify(res.content)}`);
    };
    const phase = async () => {
      await call('get_run', { runId }, 0); // warm
      return {
        get_run: await measure(4, 25, (w) => call('get_run', { runId }, w)),
        list_runs: await measure(4, 25, (w) => call('list_runs', {}, w)),
        fleet_status: await measure(4, 10, (w) => call('fleet_status', {}, w)),
        tick: await measure(1, 10, () => dispatcher.tick()),
      };
    };

    let stored = 0;
    const seed = async (count: number, owners: string[]) => {
      const t0 = performance.now();
      await seedRuns(stack.clients.doc, table, count, owners);
      stored += count;
      return round((performance.now() - t0) / 1000);
    };
    const seedSmall = await seed(SMALL_RUNS, tenantsSmall);
    await phase(); // warm-up (JIT, connections): else the first case pays it and every ratio looks flat
    const small = await phase();
    const seedBig = await seed(BIG_RUNS - SMALL_RUNS, tenantsSmall);
    const manyRuns = await phase();
    const manyOwners = Array.from({ length: BIG_TENANTS - SMALL_TENANTS }, (_, i) => `ten_many${String(i).padStart(6, '0')}`);
    const seedTenants = await seed(manyOwners.length, manyOwners);
    const manyTenants = await phase();

    const result: Record<string, unknown> = { stored, seedSeconds: { small: seedSmall, runs: seedBig, tenants: seedTenants } };
    for (const k of Object.keys(small) as (keyof typeof small)[]) {
      result[k] = {
        [`runs${SMALL_RUNS}_tenants${SMALL_TENANTS}`]: small[k],
        [`runs${BIG_RUNS}_tenants${SMALL_TENANTS}`]: manyRuns[k],
        [`runs${stored}_tenants${BIG_TENANTS}`]: manyTenants[k],
        ratioRunsP50: round(manyRuns[k].p50 / small[k].p50),
        ratioRunsP99: round(manyRuns[k].p99 / small[k].p99),
        ratioTenantsP50: round(manyTenants[k].p50 / small[k].p50),
        ratioTenantsP99: round(manyTenants[k].p99 / small[k].p99),
      };
    }
    print(result);
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await edge.close(1_000);
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}

/** `count` finished runs, round-robin over `owners`, written 25 at a time, 8 batches in flight. */
async function seedRuns(doc: DynamoDBDocumentClient, table: string, count: number, owners: string[]): Promise<void> {
  const now = new Date().toISOString();
  const item = (i: number) => {
    const tenantId = owners[i % owners.length]!;
    return {
      tenantId, runId: newRunId(), tier: 'enterprise', agent: 'shell', repo: 'https://github.com/example/project.git',
      task: 'echo seeded', taskBytes: 11, timeoutSeconds: 3600, status: 'succeeded', attempt: 1, maxAttempts: 3, exitCode: 0,
      createdAt: now, queuedAt: now, startedAt: now, finishedAt: now, logTail: 'seeded\n', logChunks: 1,
      tenantStatus: `${tenantId}#succeeded`, tenantAgent: `${tenantId}#shell`, version: 3,
    };
  };
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const n = Math.min(25, count - next);
      const start = next;
      next += n;
      let pending: Record<string, unknown>[] = Array.from({ length: n }, (_, j) => ({ PutRequest: { Item: item(start + j) } }));
      while (pending.length) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
}

function print(result: Record<string, unknown>): void {
  const lines: string[] = [`stored runs at the end: ${String(result.stored)}; seeding took ${JSON.stringify(result.seedSeconds)} s`];
  for (const [name, r] of Object.entries(result)) {
    if (typeof r !== 'object' || name === 'seedSeconds') continue;
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (typeof v === 'object') {
        const s = v as Stats;
        lines.push(`${`${name}/${k}`.padEnd(44)} p50 ${String(s.p50).padStart(8)} ms  p99 ${String(s.p99).padStart(8)} ms  ${String(s.throughput).padStart(7)} ops/s`);
      }
    }
    const ratios = Object.entries(r as Record<string, unknown>).filter(([, v]) => typeof v === 'number');
    lines.push(`${name}: ${ratios.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
