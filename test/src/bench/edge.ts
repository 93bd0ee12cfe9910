import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestStack } from '@outpost/infra/local';
import { startEdge } from '@outpost/mcp-edge';
import { newRunId, openStores, resolveTiers } from '@outpost/shared';

export const title = 'mcp-edge: dispatch and get_run over MCP Streamable HTTP vs the raw SDK writes';

interface Stats {
  ops: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
}

/** Runs `op` `perWorker` times in each of `concurrency` loops; latency per op in ms. */
async function measure(concurrency: number, perWorker: number, op: (worker: number, i: number) => Promise<unknown>): Promise<Stats> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; i < perWorker; i++) {
        const t0 = performance.now();
        await op(w, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { ops: latencies.length, seconds: round(seconds), throughput: round(latencies.length / seconds), p50: round(q(0.5)), p99: round(q(0.99)) };
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function run(): Promise<Record<string, unknown>> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-edge-'));
  const stack = await startTestStack({ home });
  // Limits that never refuse the benchmark (no worker drains the runs it queues).
  const tiers = resolveTiers({ enterprise: { activeRunsPerTenant: 10_000_000, runsPerDay: null } });
  const edge = await startEdge({ config: { ...stack.config, tiers, port: 0, host: '127.0.0.1' }, clients: stack.clients });
  const stores = openStores(stack.config, stack.clients);
  const tenant = await stores.tenants.createTenant({ name: 'bench', tier: 'enterprise' });
  const { apiKey } = await stores.tenants.createApiKey(tenant.tenantId, 'test');
  const queueUrl = await stores.queues.jobsUrl('enterprise');
  const { doc, sqs } = stack.clients;
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 32; i++) {
      const client = new Client({ name: `bench-${i}`, version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }),
      );
      clients.push(client);
    }
    const dispatchArgs = { agent: 'shell', task: 'echo benchmark', repo: 'https://github.com/example/project.git' };
    const viaEdge = async (w: number) => {
      const res = await clients[w]!.callTool({ name: 'dispatch', arguments: dispatchArgs });
      if (res.isError) throw new Error(`dispatch refused: ${JSON.stringify(res.content)}`);
    };
    // The writes one dispatch makes, straight through the SDK: two admission counters, the run, the job message.
    const day = new Date().toISOString().slice(0, 10);
    const counter = (name: string) =>
      doc.send(
        new UpdateCommand({
          TableName: stores.names.tables.usage,
          Key: { tenantId: 'bench-raw', counter: name },
          UpdateExpression: 'SET #c = if_not_exists(#c, :z) + :n',
          ExpressionAttributeNames: { '#c': 'count' },
          ExpressionAttributeValues: { ':z': 0, ':n': 1 },
        }),
      );
    const putRun = (runId: string) =>
      doc.send(
        new PutCommand({
          TableName: stores.names.tables.runs,
          Item: {
            tenantId: 'bench-raw', runId, tier: 'enterprise', agent: 'shell', repo: dispatchArgs.repo, task: dispatchArgs.task, taskBytes: 14,
            timeoutSeconds: 3600, status: 'queued', attempt: 0, maxAttempts: 3, createdAt: new Date().toISOString(), queuedAt: new Date().toISOString(),
            tenantStatus: 'bench-raw#queued', tenantAgent: 'bench-raw#shell', activePk: 'queued#bench', activeSk: new Date().toISOString(), version: 0,
          },
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      );
    const send = (runId: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ v: 1, kind: 'run', tenantId: 'bench-raw', runId }), MessageGroupId: 'bench-raw' }));
    const rawAll = async () => {
      const runId = newRunId();
      await counter('active');
      await counter(`day#${day}`);
      await putRun(runId);
      await send(runId);
    };
    const rawPutSend = async () => {
      const runId = newRunId();
      await putRun(runId);
      await send(runId);
    };

    // Warm up every path (connections, queue URL cache, JIT).
    await measure(4, 10, viaEdge);
    await measure(4, 10, rawAll);

    const result: Record<string, unknown> = {};
    for (const [concurrency, perWorker] of [
      [1, 300],
      [32, 25],
    ] as const) {
      const raw = await measure(concurrency, perWorker, rawAll);
      const rawMin = await measure(concurrency, perWorker, rawPutSend);
      const viaMcp = await measure(concurrency, perWorker, viaEdge);
      result[`dispatch_c${concurrency}`] = {
        edge: viaMcp,
        rawWrites: raw,
        rawPutSend: rawMin,
        ratioP50: round(viaMcp.p50 / raw.p50),
        ratioP99: round(viaMcp.p99 / raw.p99),
        ratioThroughput: round(viaMcp.throughput / raw.throughput),
        ratioP50VsPutSend: round(viaMcp.p50 / rawMin.p50),
      };
    }

    const page = await stores.runs.list(tenant.tenantId, { limit: 100 });
    const ids = page.runs.map((r) => r.runId);
    const getRun = await measure(32, 25, async (w, i) => {
      const res = await clients[w]!.callTool({ name: 'get_run', arguments: { runId: ids[(w * 25 + i) % ids.length] } });
      if (res.isError) throw new Error('get_run failed');
    });
    const rawGet = await measure(32, 25, (w, i) => stores.runs.get(tenant.tenantId, ids[(w * 25 + i) % ids.length]!));
    result.get_run_c32 = { edge: getRun, rawGetItem: rawGet, ratioP50: round(getRun.p50 / rawGet.p50) };

    const lines = [
      `${'case'.padEnd(22)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
      ...Object.entries(result).flatMap(([name, r]) =>
        Object.entries(r as Record<string, unknown>)
          .filter(([, v]) => typeof v === 'object')
          .map(([k, v]) => {
            const s = v as Stats;
            return `${`${name}/${k}`.padEnd(22)} ${String(s.throughput).padStart(8)} ${String(s.p50).padStart(8)} ${String(s.p99).padStart(8)}`;
          }),
      ),
      ...Object.entries(result).map(([name, r]) => {
        const ratios = Object.entries(r as Record<string, unknown>).filter(([, v]) => typeof v === 'number');
        return `${name}: ${ratios.map(([k, v]) => `${k}=${v}`).join(' ')}`;
      }),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await edge.close(1_000);
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}
