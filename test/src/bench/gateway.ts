import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PRICES, type Provider } from '@outpost/shared';
import { ModelGateway } from '@outpost/worker';
import { startScriptedModelApi } from '../model-api/index.js';

export const title = 'model gateway: overhead per model call and to the first streamed byte, vs the scripted API called directly; memory while streaming 50 MB';

const round = (n: number) => Math.round(n * 1000) / 1000;
const MB = 1024 * 1024;

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** One streamed Messages call: total time and time to the first byte of the answer (ms). */
async function call(base: string, key: string): Promise<{ total: number; firstByte: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const reader = res.body!.getReader();
  let firstByte = 0;
  for (;;) {
    const { done } = await reader.read();
    if (!firstByte) firstByte = performance.now() - t0;
    if (done) break;
  }
  return { total: performance.now() - t0, firstByte };
}

/** An upstream that streams `bytes` of SSE text deltas. */
function bigUpstream(bytes: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x'.repeat(16 * 1024) } })}\n\n`;
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          sent += event.length;
          if (!res.write(event)) return void res.once('drain', pump);
        }
        res.end(`event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 1 } })}\n\n`);
      };
      pump();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

async function streamOnce(url: string, key: string): Promise<{ received: number; seconds: number; rssGrowth: number }> {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'x-api-key': key }, body: '{}' });
  let received = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
  }
  clearInterval(sampler);
  return { received, seconds: (performance.now() - t0) / 1000, rssGrowth: peak - rss0 };
}

export async function run(): Promise<Record<string, unknown>> {
  const api = await startScriptedModelApi();
  const key = 'sk-ant-bench';
  api.script(key, [{ kind: 'final', text: 'hello from the bench' }]);
  const upstreams: Record<Provider, string> = { anthropic: api.url, openai: `${api.url}/v1`, gemini: api.url, xai: `${api.url}/v1` };
  const gw = await ModelGateway.start({ upstreams, prices: DEFAULT_PRICES });
  const grant = gw.grant({ tenantId: 'ten_bench', runId: 'run_bench', keys: { anthropic: key } });
  const direct: { total: number; firstByte: number }[] = [];
  const via: { total: number; firstByte: number }[] = [];
  for (let i = 0; i < 50; i++) await call(api.url, key); // warm up both paths and the keep-alive pools
  for (let i = 0; i < 50; i++) await call(gw.baseUrl('anthropic'), grant.token);
  // Interleaved, so drift in the machine's load falls on both alike.
  for (let i = 0; i < 500; i++) {
    direct.push(await call(api.url, key));
    via.push(await call(gw.baseUrl('anthropic'), grant.token));
  }
  const calls = {
    directP50Ms: round(p50(direct.map((d) => d.total))),
    gatewayP50Ms: round(p50(via.map((d) => d.total))),
    overheadP50Ms: round(p50(via.map((d) => d.total)) - p50(direct.map((d) => d.total))),
    directFirstByteP50Ms: round(p50(direct.map((d) => d.firstByte))),
    gatewayFirstByteP50Ms: round(p50(via.map((d) => d.firstByte))),
    firstByteOverheadP50Ms: round(p50(via.map((d) => d.firstByte)) - p50(direct.map((d) => d.firstByte))),
    aims: 'overhead ≤ 2 ms p50 per call, ≤ 5 ms to the first streamed byte',
  };
  process.stdout.write(`${JSON.stringify(calls)}\n`);
  grant.revoke();
  await gw.close();
  await api.close();

  const big = await bigUpstream(50 * MB);
  const gw2 = await ModelGateway.start({ upstreams: { anthropic: big.url, openai: big.url, gemini: big.url, xai: big.url }, prices: DEFAULT_PRICES });
  const g2 = gw2.grant({ tenantId: 'ten_bench', runId: 'run_big', keys: { anthropic: 'k' } });
  // The same 50 MB answer read directly, then through the gateway: RSS growth of each, in this process.
  const direct50 = await streamOnce(`${big.url}/v1/messages`, 'k');
  const via50 = await streamOnce(`${gw2.baseUrl('anthropic')}/v1/messages`, g2.token);
  const stream = {
    receivedMB: round(via50.received / MB),
    directSeconds: round(direct50.seconds),
    gatewaySeconds: round(via50.seconds),
    directRssGrowthMB: round(direct50.rssGrowth / MB),
    gatewayRssGrowthMB: round(via50.rssGrowth / MB),
    aim: 'memory flat while streaming 50 MB (growth far below the answer size)',
  };
  process.stdout.write(`${JSON.stringify(stream)}\n`);
  g2.revoke();
  await gw2.close();
  await new Promise((r) => big.server.close(r));
  return { calls, stream };
}
