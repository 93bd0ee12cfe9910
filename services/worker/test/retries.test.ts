import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  createAwsClients,
  newRunId,
  sendJob,
  SsmParameterStore,
  type AwsClients,
  type ParameterStore,
} from '@outpost/shared';
import { Worker } from '../src/worker.js';
import { harness, makeRepo, type Harness } from './helpers.js';

/** An HTTP server on loopback; `close()` ends it. */
async function listen(handler: (req: IncomingMessage, body: Buffer, res: import('node:http').ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * SSM over real HTTP (there is no emulator): GetParametersByPath answers 500 InternalServerError
 * `failures` times, then an empty page. Counts the calls.
 */
async function flakySsm(failures: number) {
  let calls = 0;
  const server = await listen((_req, _body, res) => {
    calls++;
    res.writeHead(calls <= failures ? 500 : 200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(calls <= failures ? { __type: 'InternalServerError', message: 'SSM is having a bad day' } : { Parameters: [] }));
  });
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 });
  return { params: new SsmParameterStore(ssm) as ParameterStore, calls: () => calls, close: async () => (ssm.destroy(), server.close()) };
}

/** A proxy in front of the S3 emulator that answers 503 SlowDown to ListObjectsV2 while `failing()` says so. */
async function flakyS3(target: string, failing: (listCall: number) => boolean) {
  const upstream = new URL(target);
  let lists = 0;
  const server = await listen((req, body, res) => {
    if (req.method === 'GET' && req.url?.includes('list-type=2') && failing(++lists)) {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  });
  return { url: server.url, lists: () => lists, close: server.close };
}

describe('worker › errors while preparing a run: retried while attempts remain, else failed with a code', () => {
  let h: Harness;
  let repo: { dir: string; head: string };
  beforeAll(async () => {
    h = await harness();
    repo = await makeRepo(h.tmp);
  }, 60_000);
  afterAll(async () => h?.stop());

  /** One worker for one test (stopped after it, so no other test's worker takes its jobs). */
  async function withWorker<T>(o: { params?: ParameterStore; clients?: AwsClients }, fn: () => Promise<T>): Promise<T> {
    const w = new Worker({ config: h.config(), clients: o.clients ?? h.stack.clients, params: o.params ?? h.params, stores: h.stores });
    await w.start();
    try {
      return await fn();
    } finally {
      await w.stop({ graceMs: 0 });
    }
  }

  it('SSM failing to load the secrets on the first attempt: back to the queue (attempt counted), then succeeded on attempt 2', async () => {
    const ssm = await flakySsm(2); // both SDK attempts of the first load
    try {
      const end = await withWorker({ params: ssm.params }, async () => h.waitEnd(await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo prepared at last' })));
      expect(end).toMatchObject({ status: 'succeeded', attempt: 2 });
      expect(end.logTail).toContain('prepared at last');
      expect(ssm.calls()).toBe(3);
    } finally {
      await ssm.close();
    }
  });

  it('S3 failing to list the log chunks on every attempt: failed dependency_unavailable on the last attempt', async () => {
    const proxy = await flakyS3(h.stack.config.endpoints.s3!, () => true);
    const clients = createAwsClients({ ...h.stack.config, endpoints: { ...h.stack.config.endpoints, s3: proxy.url } });
    try {
      const end = await withWorker({ clients }, async () =>
        h.waitEnd(await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'echo never', maxAttempts: 2 })),
      );
      expect(end).toMatchObject({ status: 'failed', attempt: 2, error: { code: 'dependency_unavailable' } });
      expect(end.error?.message).toMatch(/^numbering the log chunks failed: SlowDown: Please reduce your request rate\. \(attempt 2 of 2; none left\)$/);
      expect(proxy.lists()).toBe(4); // two attempts × the SDK's two tries
    } finally {
      clients.destroy();
      await proxy.close();
    }
  });

  it('a task object that is gone fails at once (invalid_job) on attempt 1, attempts left or not', async () => {
    const run = await h.stores.runs.create({
      tenantId: h.tenantId,
      runId: newRunId(),
      tier: 'free',
      agent: 'shell',
      repo: repo.dir,
      taskKey: `tenants/${h.tenantId}/tasks/never-written.txt`,
      taskBytes: 200_000,
      timeoutSeconds: 60,
      maxAttempts: 3,
    });
    await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'free', tenantId: run.tenantId, runId: run.runId });
    const end = await withWorker({}, () => h.waitEnd(run));
    expect(end).toMatchObject({ status: 'failed', attempt: 1, error: { code: 'invalid_job' } });
    expect(end.error?.message).toContain('never-written.txt is gone');
  });
});
