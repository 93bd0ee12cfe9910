import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SigV4Verifier, type IncomingSignedRequest } from '@outpost/infra/local';
import { createAwsClients, newLocalCredentials, newRunId, openStores } from '@outpost/shared';
import { startTestStack } from '@outpost/testkit';
import { measure, round } from './_stats.js';

export const title = 'local emulators: cost of the SigV4 check per request (micro), and a signed GetItem round trip for scale';

/** Records what SDK clients put on the wire, answering 200 with an empty body. */
async function recorder(): Promise<{ url: string; requests: IncomingSignedRequest[]; close(): Promise<void> }> {
  const requests: IncomingSignedRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** Mean and percentiles of `fn` over `n` calls, in microseconds. */
async function micro(n: number, fn: () => Promise<unknown>): Promise<{ meanUs: number; p50Us: number; p99Us: number }> {
  for (let i = 0; i < Math.min(200, n); i++) await fn(); // warm-up (JIT, signing-key cache)
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  const us = (ms: number) => round(ms * 1000);
  return { meanUs: us(total / n), p50Us: us(times[Math.floor(n / 2)]!), p99Us: us(times[Math.floor(n * 0.99)]!) };
}

export async function run(): Promise<Record<string, unknown>> {
  const credentials = newLocalCredentials();
  const rec = await recorder();
  const clients = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: { dynamodb: rec.url, sqs: rec.url, s3: rec.url }, credentials });
  const doc = clients.doc;
  const cases: Record<string, IncomingSignedRequest> = {};
  const take = async (name: string, send: () => Promise<unknown>) => {
    await send().catch(() => undefined); // the recorder's empty answers may not parse; the request is what counts
    cases[name] = rec.requests[rec.requests.length - 1]!;
  };
  const item = { tenantId: 'ten_bench', runId: newRunId(), status: 'queued', task: 'x'.repeat(200) };
  await take('dynamodb PutItem (~0.4 KB)', () => doc.send(new PutCommand({ TableName: 'outpost-runs', Item: item })));
  await take('sqs SendMessage', () => clients.sqs.send(new SendMessageCommand({ QueueUrl: `${rec.url}/000000000000/outpost-free-jobs`, MessageBody: '{"v":1,"tenantId":"ten_bench","runId":"run_x"}' })));
  await take('s3 PutObject 1 KiB', () => clients.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'tenants/t/runs/r/log/0.txt', Body: Buffer.alloc(1024, 97) })));
  await take('s3 PutObject 1 MiB (body hashed)', () => clients.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'tenants/t/runs/r/log.txt', Body: Buffer.alloc(1024 * 1024, 97) })));
  const url = new URL(await getSignedUrl(clients.s3, new GetObjectCommand({ Bucket: 'b', Key: 'tenants/t/runs/r/patch.diff' }), { expiresIn: 900 }));
  cases['s3 presigned GET'] = { method: 'GET', url: `${url.pathname}${url.search}`, headers: { host: url.host }, body: Buffer.alloc(0) };
  clients.destroy();
  await rec.close();

  const verifier = new SigV4Verifier({ credentials, region: 'us-east-1', services: ['dynamodb', 'sqs', 's3'] });
  const perRequest: Record<string, unknown> = {};
  for (const [name, req] of Object.entries(cases)) {
    const verdict = await verifier.verify(req);
    if (!verdict.ok) throw new Error(`${name}: the bench's own request was refused: ${verdict.reason} ${verdict.message}`);
    const n = name.includes('1 MiB') ? 500 : 20_000;
    perRequest[name] = await micro(n, () => verifier.verify(req));
    const refused = { ...req, headers: { ...req.headers, authorization: req.headers.authorization?.replace(/Signature=\w+/, `Signature=${'0'.repeat(64)}`) } };
    if (req.headers.authorization) perRequest[`${name}, wrong signature`] = await micro(Math.min(n, 5_000), () => verifier.verify(refused));
  }
  process.stdout.write(`verify() per request (µs):\n${Object.entries(perRequest).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join('\n')}\n`);

  // For scale: a signed GetItem against the guarded dynalite, end to end (SDK sign, HTTP, verify, serve).
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-bench-auth-'));
  const stack = await startTestStack({ home });
  try {
    const stores = openStores(stack.config, stack.clients);
    const runId = newRunId();
    await stack.clients.doc.send(new PutCommand({ TableName: stores.names.tables.runs, Item: { ...item, runId } }));
    const get = () => stack.clients.doc.send(new GetCommand({ TableName: stores.names.tables.runs, Key: { tenantId: item.tenantId, runId } }));
    await measure(1, 200, get);
    const roundTrip = await measure(1, 2_000, get);
    process.stdout.write(`signed GetItem round trip (ms): p50 ${roundTrip.p50}, p99 ${roundTrip.p99}, ${roundTrip.throughput} ops/s on one connection\n`);
    return { verifyMicroseconds: perRequest, getItemRoundTrip: roundTrip };
  } finally {
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}
