import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startEdge } from '@outpost/mcp-edge';
import { newRunId, openStores, resolveTiers } from '@outpost/shared';
import { startTestStack } from '@outpost/testkit';
import type { EdgeLoadCommand, EdgeLoadInput } from './_edge-load.js';
import { measure, round, type Stats } from './_stats.js';

export const title = 'mcp-edge: dispatch and get_run over MCP Streamable HTTP vs the raw SDK writes';

const CLIENTS = 32;

/**
 * The edge and the emulators run in this thread; the raw SDK baseline runs here too, with the
 * edge's own AWS clients, so it pays exactly the SDK and emulator cost a dispatch pays. The MCP
 * clients run in a worker thread (another core, as a remote client would), so the ratio is what
 * the edge adds on top of its writes: HTTP, MCP, auth, validation.
 */
export async function run(): Promise<Record<string, unknown>> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-edge-'));
  const stack = await startTestStack({ home });
  // Limits that never refuse the benchmark (no worker drains the runs it queues).
  const tiers = resolveTiers({ enterprise: { activeRunsPerTenant: 10_000_000, runsPerDay: null } });
  const edge = await startEdge({ config: { ...stack.config, tiers, port: 0, host: '127.0.0.1' }, clients: stack.clients });
  let worker: Worker | undefined;
  try {
    const stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'bench', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(tenant.tenantId, 'test');
    const queueUrl = await stores.queues.jobsUrl('enterprise');
    const { doc, sqs } = stack.clients;

    const input: EdgeLoadInput = { mcpUrl: `${edge.url}/mcp`, apiKey, clients: CLIENTS };
    worker = new Worker(new URL('./_edge-load.js', import.meta.url), { workerData: input });
    const w = worker;
    const replies: ((msg: { stats?: Stats; runIds?: string[]; error?: string; ready?: boolean }) => void)[] = [];
    w.on('message', (msg) => replies.shift()?.(msg));
    const next = () => new Promise<{ stats?: Stats; runIds?: string[]; error?: string }>((resolve, reject) => {
      replies.push(resolve);
      w.once('error', reject);
    });
    await next(); // ready
    const viaEdge = async (cmd: EdgeLoadCommand) => {
      const reply = next();
      w.postMessage(cmd);
      const msg = await reply;
      if (msg.error || !msg.stats) throw new Error(`load generator: ${msg.error}`);
      return { stats: msg.stats, runIds: msg.runIds ?? [] };
    };

    // The writes one dispatch makes (no idempotency key): two admission counters, the run, the job message.
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
    const putRun = (runId: string) => {
      const now = new Date().toISOString();
      return doc.send(
        new PutCommand({
          TableName: stores.names.tables.runs,
          Item: {
            tenantId: 'bench-raw', runId, tier: 'enterprise', agent: 'shell', repo: 'https://github.com/example/project.git',
            task: 'echo benchmark', taskBytes: 14, timeoutSeconds: 3600, status: 'queued', attempt: 0, maxAttempts: 3,
            createdAt: now, queuedAt: now, tenantStatus: 'bench-raw#queued', tenantAgent: 'bench-raw#shell',
            activePk: 'queued#bench', activeSk: now, version: 0,
          },
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      );
    };
    const send = (runId: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ v: 1, kind: 'run', tenantId: 'bench-raw', runId }), MessageGroupId: 'bench-raw' }));
    const rawWrites = async () => {
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
    await viaEdge({ op: 'dispatch', concurrency: 4, perWorker: 10 });
    await measure(4, 10, rawWrites);
    await measure(4, 10, rawPutSend);

    const result: Record<string, unknown> = {};
    let runIds: string[] = [];
    for (const [concurrency, perWorker] of [
      [1, 300],
      [CLIENTS, 25],
    ] as const) {
      const raw = await measure(concurrency, perWorker, rawWrites);
      const rawMin = await measure(concurrency, perWorker, rawPutSend);
      const out = await viaEdge({ op: 'dispatch', concurrency, perWorker });
      runIds = out.runIds;
      result[`dispatch_c${concurrency}`] = {
        edge: out.stats,
        rawWrites: raw,
        rawPutSend: rawMin,
        ratioP50: round(out.stats.p50 / raw.p50),
        ratioP99: round(out.stats.p99 / raw.p99),
        ratioThroughput: round(out.stats.throughput / raw.throughput),
      };
    }
    const getRun = await viaEdge({ op: 'get_run', concurrency: CLIENTS, perWorker: 25 });
    const rawGet = await measure(CLIENTS, 25, (wk, i) =>
      doc.send(new GetCommand({ TableName: stores.names.tables.runs, Key: { tenantId: tenant.tenantId, runId: runIds[(wk * 31 + i) % runIds.length] }, ConsistentRead: true })),
    );
    result[`get_run_c${CLIENTS}`] = { edge: getRun.stats, rawGetItem: rawGet, ratioP50: round(getRun.stats.p50 / rawGet.p50), ratioP99: round(getRun.stats.p99 / rawGet.p99) };
    w.postMessage({ op: 'stop' } satisfies EdgeLoadCommand);
    printTable(result);
    return result;
  } finally {
    await worker?.terminate();
    await edge.close(1_000);
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}

function printTable(result: Record<string, unknown>): void {
  const lines = [`${'case'.padEnd(24)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`];
  for (const [name, r] of Object.entries(result)) {
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (typeof v !== 'object') continue;
      const s = v as Stats;
      lines.push(`${`${name}/${k}`.padEnd(24)} ${String(s.throughput).padStart(8)} ${String(s.p50).padStart(8)} ${String(s.p99).padStart(8)}`);
    }
  }
  for (const [name, r] of Object.entries(result)) {
    const ratios = Object.entries(r as Record<string, unknown>).filter(([, v]) => typeof v === 'number');
    lines.push(`${name}: ${ratios.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
