import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { measure, type Stats } from './_stats.js';

/** What the server side hands the MCP load generator. */
export interface EdgeLoadInput {
  mcpUrl: string;
  apiKey: string;
  clients: number;
  /** Runs get_run reads; else the ones this generator dispatched. */
  runIds?: string[];
}

/** A phase the server side asks for. */
export type EdgeLoadCommand = { op: 'dispatch' | 'get_run' | 'get_run_http' | 'ping'; concurrency: number; perWorker: number } | { op: 'stop' };

const DISPATCH_ARGS = { agent: 'shell', task: 'echo benchmark', repo: 'https://github.com/example/project.git' };

// The MCP clients run in this worker thread, so their own cost (JSON-RPC, SSE parsing, result
// validation) lands on another core than the edge, like a client on another machine.
async function main(input: EdgeLoadInput): Promise<void> {
  const port = parentPort!;
  const clients: Client[] = [];
  for (let i = 0; i < input.clients; i++) {
    const client = new Client({ name: `bench-${i}`, version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(input.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${input.apiKey}` } } }));
    clients.push(client);
  }
  const runIds: string[] = [...(input.runIds ?? [])];
  const dispatch = async (w: number) => {
    const res = await clients[w]!.callTool({ name: 'dispatch', arguments: DISPATCH_ARGS });
    if (res.isError) throw new Error(`dispatch refused: ${JSON.stringify(res.content)}`);
    runIds.push((res.structuredContent as { runs: { runId: string }[] }).runs[0]!.runId);
  };
  const getRun = async (w: number, i: number) => {
    const res = await clients[w]!.callTool({ name: 'get_run', arguments: { runId: runIds[(w * 31 + i) % runIds.length] } });
    if (res.isError) throw new Error(`get_run failed: ${JSON.stringify(res.content)}`);
  };
  const ping = async (w: number) => clients[w]!.ping();
  // The same tools/call as lean HTTP clients would send it (keep-alive, one JSON-RPC body, the
  // headers the SDK sends), checking only that the answer is a result: the edge's cost without
  // the SDK client's own (result validation), which here shares the 2 cores with the edge.
  const agent = new Agent({ keepAlive: true, maxSockets: input.clients });
  const url = new URL(input.mcpUrl);
  const getRunHttp = (w: number, i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'get_run', arguments: { runId: runIds[(w * 31 + i) % runIds.length] } } });
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            Authorization: `Bearer ${input.apiKey}`,
            'Content-Type': 'application/json',
            Accept: 'application/json, text/event-stream',
            'MCP-Protocol-Version': '2025-06-18',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200 || !text.includes('"result"') || text.includes('"isError":true')) reject(new Error(`get_run over HTTP: ${res.statusCode} ${text.slice(0, 200)}`));
            else resolve();
          });
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  const ops = { dispatch, get_run: getRun, get_run_http: getRunHttp, ping };
  port.postMessage({ ready: true });
  port.on('message', (cmd: EdgeLoadCommand) => {
    if (cmd.op === 'stop') {
      agent.destroy();
      void Promise.all(clients.map((c) => c.close().catch(() => {}))).then(() => port.close());
      return;
    }
    measure(cmd.concurrency, cmd.perWorker, ops[cmd.op]).then(
      (stats: Stats) => port.postMessage({ stats, runIds: runIds.slice(0, 200) }),
      (err: unknown) => port.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

if (parentPort) void main(workerData as EdgeLoadInput);
