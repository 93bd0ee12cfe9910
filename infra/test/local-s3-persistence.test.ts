import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createAwsClients, newRunId, resourceNames, RunStore, type AwsClients } from '@outpost/shared';
import { provisionAll, startEmulators, type Emulators } from '../src/local/index.js';

const PREFIX = 'persist';
const bucket = resourceNames(PREFIX).bucket;

async function boot(dataDir: string): Promise<{ emulators: Emulators; clients: AwsClients }> {
  const emulators = await startEmulators({ dataDir });
  const clients = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: emulators.endpoints, credentials: emulators.credentials });
  await provisionAll(clients, PREFIX);
  return { emulators, clients };
}

async function bodyOf(s3: S3Client, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function listAll(s3: S3Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 7, ...(token ? { ContinuationToken: token } : {}) }));
    keys.push(...(out.Contents ?? []).map((c) => c.Key!));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

describe('local emulators with a data dir', () => {
  let dir: string;
  const big = randomBytes(12 * 1024 * 1024 + 12345);
  const keys = Array.from({ length: 20 }, (_, i) => `tenants/t1/runs/r1/log/${String(i).padStart(6, '0')}.txt`);
  const runId = newRunId();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-persist-'));
    const { emulators, clients } = await boot(dir);
    try {
      for (const [i, key] of keys.entries()) {
        await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `chunk ${i}\n`, ContentType: 'text/plain', Metadata: { seq: String(i) } }));
      }
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tenants/t1/runs/r1/gone.txt', Body: 'x' }));
      await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'tenants/t1/runs/r1/gone.txt' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tenants/t1/runs/r1/also-gone.txt', Body: 'y' }));
      await clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'tenants/t1/runs/r1/also-gone.txt' }] } }));
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tenants/t1/runs/r1/overwritten.txt', Body: 'old' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tenants/t1/runs/r1/overwritten.txt', Body: 'new' }));
      const upload = new Upload({ client: clients.s3, params: { Bucket: bucket, Key: 'tenants/t1/runs/r1/changes.bundle', Body: big }, partSize: 5 * 1024 * 1024 });
      await upload.done();
      const runs = new RunStore({ tableName: resourceNames(PREFIX).tables.runs, doc: clients.doc });
      await runs.create({ tenantId: 't1', runId, tier: 'free', agent: 'shell', repo: 'o/r', task: 't', taskBytes: 1, timeoutSeconds: 60, maxAttempts: 3 });
      // before the restart everything reads back too
      expect((await bodyOf(clients.s3, 'tenants/t1/runs/r1/changes.bundle')).equals(big)).toBe(true);
    } finally {
      clients.destroy();
      await emulators.stop();
    }
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps objects, deletions, overwrites, metadata, a 12 MB multipart upload and DynamoDB items across a restart (twice)', async () => {
    for (let round = 0; round < 2; round++) {
      const { emulators, clients } = await boot(dir); // provisioning again on old data is no error
      try {
        expect(await listAll(clients.s3, 'tenants/t1/runs/r1/log/')).toEqual(keys);
        expect((await bodyOf(clients.s3, keys[3]!)).toString()).toBe('chunk 3\n');
        const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keys[3]! }));
        expect(head.ContentType).toBe('text/plain');
        expect(head.Metadata).toEqual({ seq: '3' });
        expect((await listAll(clients.s3, 'tenants/t1/runs/r1/')).filter((k) => k.includes('gone'))).toEqual([]);
        expect((await bodyOf(clients.s3, 'tenants/t1/runs/r1/overwritten.txt')).toString()).toBe('new');
        const bundle = await bodyOf(clients.s3, 'tenants/t1/runs/r1/changes.bundle');
        expect(bundle.length).toBe(big.length);
        expect(bundle.equals(big)).toBe(true);
        const range = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'tenants/t1/runs/r1/changes.bundle', Range: 'bytes=100-199' }));
        expect(Buffer.from(await range.Body!.transformToByteArray()).equals(big.subarray(100, 200))).toBe(true);
        const runs = new RunStore({ tableName: resourceNames(PREFIX).tables.runs, doc: clients.doc });
        expect((await runs.get('t1', runId))?.status).toBe('queued');
        // a write after a restart persists too
        await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `tenants/t1/runs/r1/round${round}.txt`, Body: String(round) }));
        if (round === 1) expect((await bodyOf(clients.s3, 'tenants/t1/runs/r1/round0.txt')).toString()).toBe('0');
      } finally {
        clients.destroy();
        await emulators.stop();
      }
    }
  }, 120_000);

  it('without a data dir nothing is kept', async () => {
    const a = await startEmulators();
    const ca = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: a.endpoints, credentials: a.credentials });
    await provisionAll(ca, PREFIX);
    await ca.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    ca.destroy();
    await a.stop();
    const b = await startEmulators();
    const cb = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: b.endpoints, credentials: b.credentials });
    try {
      await provisionAll(cb, PREFIX);
      expect(await listAll(cb.s3, '')).toEqual([]);
    } finally {
      cb.destroy();
      await b.stop();
    }
  });
});
