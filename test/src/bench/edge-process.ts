import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChildProcess } from 'node:child_process';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startTestStack } from '@outpost/testkit';
import { newRunId, openStores } from '@outpost/shared';
import { fromLog, spawnService, stopChild } from './_child.js';
import type { EdgeLoadCommand, EdgeLoadInput } from './_edge-load.js';
import { measure, round, type Stats } from './_stats.js';

export const title = 'mcp-edge in its own process (as deployed): get_run at 32 clients vs the raw GetItem it makes';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EDGE_MAIN = path.resolve(HERE, '../../../services/mcp-edge/dist/main.js');
const CLIENTS = 32;
const PER_CLIENT = 40;
// p99 of 1,280 calls on 2 shared cores swings by 2× between rounds: the ratios are judged by their median over rounds.
const ROUNDS = 5;

/**
 * The edge runs as a child process (its dist main, the stack's environment); the emulators run in
 * this process, the MCP clients in a worker thread. The baseline is the GetItem get_run makes,
 * sent from this process at the same concurrency against the same emulator; the Query for its
 * children is measured too (get_run makes it as well), so the ratio shows what is the edge's own.
 */
export async function run(): Promise<Record<string, unknown>> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-edgep-'));
  const stack = await startTestStack({ home });
  let edge: ChildProcess | undefined;
  let worker: Worker | undefined;
  try {
    const stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'bench', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(tenant.tenantId, 'test');
    // Runs as dispatch leaves them (queued), written by the run store.
    const runIds: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await stores.runs.create({
        tenantId: tenant.tenantId, runId: newRunId(), tier: 'enterprise', agent: 'shell', repo: 'https://github.com/example/project.git',
        task: 'echo benchmark', taskBytes: 14, timeoutSeconds: 3600, maxAttempts: 3,
      });
      runIds.push(r.runId);
    }

    edge = spawnService(EDGE_MAIN, { ...stack.env, OUTPOST_EDGE_PORT: '0', OUTPOST_LOG_LEVEL: 'info' }, 'edge');
    const port = await fromLog(edge, (l) => (l.msg === 'mcp-edge listening' && typeof l.port === 'number' ? l.port : undefined));
    const input: EdgeLoadInput = { mcpUrl: `http://127.0.0.1:${port}/mcp`, apiKey, clients: CLIENTS, runIds };
    worker = new Worker(new URL('./_edge-load.js', import.meta.url), { workerData: input });
    const w = worker;
    const replies: ((msg: { stats?: Stats; error?: string }) => void)[] = [];
    w.on('message', (msg) => replies.shift()?.(msg));
    const next = () => new Promise<{ stats?: Stats; error?: string }>((resolve, reject) => {
      replies.push(resolve);
      w.once('error', reject);
    });
    await next(); // ready
    const viaEdge = async (cmd: EdgeLoadCommand): Promise<Stats> => {
      const reply = next();
      w.postMessage(cmd);
      const msg = await reply;
      if (msg.error || !msg.stats) throw new Error(`load generator: ${msg.error}`);
      return msg.stats;
    };
    const { doc } = stack.clients;
    const key = (wk: number, i: number) => ({ tenantId: tenant.tenantId, runId: runIds[(wk * 31 + i) % runIds.length]! });
    const getItem = (wk: number, i: number) => doc.send(new GetCommand({ TableName: stores.names.tables.runs, Key: key(wk, i), ConsistentRead: true }));
    const children = (wk: number, i: number) => {
      const k = key(wk, i);
      return doc.send(
        new QueryCommand({
          TableName: stores.names.tables.runs, IndexName: 'byParent', KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': 'parentKey' }, ExpressionAttributeValues: { ':k': `${k.tenantId}#${k.runId}` }, Limit: 100,
        }),
      );
    };

    // Warm up every path (connections, auth cache, JIT in both processes).
    await viaEdge({ op: 'get_run', concurrency: CLIENTS, perWorker: PER_CLIENT });
    await viaEdge({ op: 'ping', concurrency: CLIENTS, perWorker: 10 });
    await viaEdge({ op: 'get_run_http', concurrency: CLIENTS, perWorker: 10 });
    await measure(CLIENTS, PER_CLIENT, getItem);
    await measure(CLIENTS, 10, children);

    const rounds: Record<string, unknown>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const raw = await measure(CLIENTS, PER_CLIENT, getItem);
      const query = await measure(CLIENTS, PER_CLIENT, children);
      const edgeStats = await viaEdge({ op: 'get_run', concurrency: CLIENTS, perWorker: PER_CLIENT });
      const leanStats = await viaEdge({ op: 'get_run_http', concurrency: CLIENTS, perWorker: PER_CLIENT });
      // The edge's floor: an MCP ping (auth, server, transport; no tool, no AWS call).
      const ping = await viaEdge({ op: 'ping', concurrency: CLIENTS, perWorker: PER_CLIENT });
      rounds.push({
        edge: edgeStats,
        edgeLeanClients: leanStats,
        edgePing: ping,
        rawGetItem: raw,
        rawChildrenQuery: query,
        ratioP50: round(edgeStats.p50 / raw.p50),
        ratioP99: round(edgeStats.p99 / raw.p99),
        ratioThroughput: round(edgeStats.throughput / raw.throughput),
        aimP99Within1_5x: edgeStats.p99 <= 1.5 * raw.p99,
        leanRatioP99: round(leanStats.p99 / raw.p99),
        leanRatioThroughput: round(leanStats.throughput / raw.throughput),
        leanAimP99Within1_5x: leanStats.p99 <= 1.5 * raw.p99,
      });
    }
    w.postMessage({ op: 'stop' } satisfies EdgeLoadCommand);
    const median = (key: string) => {
      const xs = rounds.map((r) => r[key] as number).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)] ?? 0;
    };
    const medians = {
      ratioP99: median('ratioP99'),
      ratioThroughput: median('ratioThroughput'),
      leanRatioP99: median('leanRatioP99'),
      leanRatioThroughput: median('leanRatioThroughput'),
      aimP99Within1_5x: median('ratioP99') <= 1.5,
      leanAimP99Within1_5x: median('leanRatioP99') <= 1.5,
    };
    const result = { [`get_run_c${CLIENTS}`]: rounds, medianOfRounds: medians };
    for (const [i, r] of rounds.entries()) {
      const line = (name: string, s: Stats) => `round ${i + 1} ${name.padEnd(18)} ${String(s.throughput).padStart(8)} ops/s  p50 ${String(s.p50).padStart(7)} ms  p99 ${String(s.p99).padStart(7)} ms`;
      process.stdout.write(`${line('edge get_run', r.edge as Stats)}\n${line('edge get_run (HTTP)', r.edgeLeanClients as Stats)}\n${line('edge ping', r.edgePing as Stats)}\n${line('raw GetItem', r.rawGetItem as Stats)}\n${line('raw children Query', r.rawChildrenQuery as Stats)}\n`);
      process.stdout.write(`round ${i + 1} ratios: p50 ×${String(r.ratioP50)} p99 ×${String(r.ratioP99)} throughput ×${String(r.ratioThroughput)}; lean HTTP clients: p99 ×${String(r.leanRatioP99)} throughput ×${String(r.leanRatioThroughput)}\n`);
    }
    process.stdout.write(`median of ${ROUNDS} rounds: SDK clients p99 ×${medians.ratioP99} throughput ×${medians.ratioThroughput}; lean HTTP clients p99 ×${medians.leanRatioP99} throughput ×${medians.leanRatioThroughput}\n`);
    return result;
  } finally {
    await worker?.terminate();
    await stopChild(edge);
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}
