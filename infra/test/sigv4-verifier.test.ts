import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { buildQueryString } from '@smithy/core/protocols';
import { ManualClock, OutpostError } from '@outpost/shared';
import { SigV4Verifier, type IncomingSignedRequest } from '../src/local/sigv4-verifier.js';

const CREDS = { accessKeyId: 'OPLKTESTKEY000000001', secretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNl' };
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const ENDPOINT = 'http://127.0.0.1:7401';
const MINUTE = 60_000;

interface Captured {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** Stops the SDK's send with the request it would have sent. */
class CapturedRequestError extends OutpostError {
  override readonly name = 'CapturedRequestError';
  readonly code = 'internal';
  constructor(readonly request: Captured) {
    super('captured');
  }
}

/** The request the real SDK client would send (signed by its own middleware), never sent. */
const handler = { handle: async (request: Captured) => Promise.reject(new CapturedRequestError(request)) };

async function capture(send: () => Promise<unknown>): Promise<IncomingSignedRequest> {
  const err = await send().catch((e: unknown) => e);
  if (!(err instanceof CapturedRequestError)) throw new Error(`expected a captured request, got ${String(err)}`);
  const r = err.request;
  const qs = r.query ? buildQueryString(r.query) : '';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body as string | Uint8Array);
  return { method: r.method, url: `${r.path}${qs ? `?${qs}` : ''}`, headers, body };
}

const common = (creds = CREDS, region = 'us-east-1') => ({
  region,
  endpoint: ENDPOINT,
  credentials: creds,
  requestHandler: handler as never,
  maxAttempts: 1,
  systemClockOffset: 0,
});

/** A signed DynamoDB call made at `at`. */
async function dynamoRequest(o: { at?: number; creds?: typeof CREDS; region?: string; command?: 'list' | 'put' } = {}) {
  const realNow = Date.now;
  Date.now = () => o.at ?? T0;
  try {
    const client = new DynamoDBClient(common(o.creds, o.region));
    const command =
      o.command === 'put'
        ? new PutItemCommand({ TableName: 'outpost-runs', Item: { tenantId: { S: 'ten_a' }, runId: { S: 'run_a' } } })
        : new ListTablesCommand({});
    return await capture(() => client.send(command as never));
  } finally {
    Date.now = realNow;
  }
}

async function withNow<T>(at: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => at;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

function verifier(clock: ManualClock, services: readonly string[] = ['dynamodb']) {
  return new SigV4Verifier({ credentials: CREDS, region: 'us-east-1', services, clock });
}

describe('SigV4Verifier', () => {
  describe('Authorization header', () => {
    it('accepts a request the SDK signed with the stack credentials', async () => {
      const req = await dynamoRequest({ command: 'put' });
      expect(await verifier(new ManualClock(T0)).verify(req)).toEqual({ ok: true, service: 'dynamodb' });
    });

    it('accepts SQS and S3 requests signed by their SDK clients', async () => {
      const sqs = await withNow(T0, () =>
        capture(() => new SQSClient(common()).send(new SendMessageCommand({ QueueUrl: `${ENDPOINT}/000000000000/q`, MessageBody: '{"v":1}' }))),
      );
      const s3 = await withNow(T0, () =>
        capture(() => new S3Client({ ...common(), forcePathStyle: true }).send(new PutObjectCommand({ Bucket: 'b', Key: 'tenants/x/a b+c.txt', Body: 'hello' }))),
      );
      const v = verifier(new ManualClock(T0), ['sqs', 's3']);
      expect(await v.verify(sqs)).toEqual({ ok: true, service: 'sqs' });
      expect(await v.verify(s3)).toEqual({ ok: true, service: 's3' });
    });

    it('refuses a request with one changed signed header', async () => {
      const req = await dynamoRequest();
      req.headers['x-amz-target'] = 'DynamoDB_20120810.Scan';
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('refuses a request whose body changed, even with its x-amz-content-sha256 made to match', async () => {
      const req = await dynamoRequest({ command: 'put' });
      req.body = Buffer.from(req.body.toString().replace('run_a', 'run_b'));
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'body_mismatch' });
      req.headers['x-amz-content-sha256'] = createHash('sha256').update(req.body).digest('hex');
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('refuses an S3 body that does not match its signed x-amz-content-sha256', async () => {
      const req = await withNow(T0, () =>
        capture(() => new S3Client({ ...common(), forcePathStyle: true }).send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'hello' }))),
      );
      req.body = Buffer.from('HELLO');
      expect(await verifier(new ManualClock(T0), ['s3']).verify(req)).toMatchObject({ ok: false, reason: 'body_mismatch' });
    });

    it('refuses a request signed with a wrong secret', async () => {
      const req = await dynamoRequest({ creds: { ...CREDS, secretAccessKey: 'wrong-wrong-wrong-wrong-wrong-wrong-wron' } });
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('refuses a made-up access key id', async () => {
      const req = await dynamoRequest({ creds: { accessKeyId: 'AKIAMADEUPMADEUP0000', secretAccessKey: 'x' } });
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'unknown_key' });
    });

    it('refuses a request with no signature at all', async () => {
      const req = await dynamoRequest();
      delete req.headers.authorization;
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'missing' });
    });

    it('accepts a replay within 15 minutes (as AWS does) and refuses one older than 15 minutes', async () => {
      const req = await dynamoRequest();
      expect(await verifier(new ManualClock(T0 + 14 * MINUTE)).verify(req)).toMatchObject({ ok: true });
      const late = await verifier(new ManualClock(T0 + 15 * MINUTE + 1000)).verify(req);
      expect(late).toMatchObject({ ok: false, reason: 'skewed' });
      expect(late.ok ? '' : late.message).toMatch(/Signature expired: 20260601T120000Z is now earlier than 20260601T120001Z \(20260601T121501Z - 15 min\.\)/);
    });

    it('refuses a request dated more than 15 minutes in the future', async () => {
      const req = await dynamoRequest({ at: T0 + 16 * MINUTE });
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'skewed' });
    });

    it('refuses another region, and a service this emulator does not serve', async () => {
      const other = await dynamoRequest({ region: 'eu-west-1' });
      expect(await verifier(new ManualClock(T0)).verify(other)).toMatchObject({ ok: false, reason: 'wrong_scope' });
      const req = await dynamoRequest();
      expect(await verifier(new ManualClock(T0), ['sqs', 's3']).verify(req)).toMatchObject({ ok: false, reason: 'wrong_scope' });
    });

    it('refuses a session token (the stack issues none)', async () => {
      const req = await dynamoRequest({ creds: { ...CREDS, sessionToken: 'tok' } as typeof CREDS });
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'unknown_key' });
    });

    it('refuses a header that is not in SignedHeaders being relied on: host must be signed', async () => {
      const req = await dynamoRequest();
      req.headers.authorization = req.headers.authorization!.replace(/SignedHeaders=[^,]+/, (m) => m.replace('host;', ''));
      expect(await verifier(new ManualClock(T0)).verify(req)).toMatchObject({ ok: false, reason: 'malformed' });
    });
  });

  describe('presigned query string', () => {
    const presign = (expiresIn: number, creds = CREDS) =>
      withNow(T0, async (): Promise<IncomingSignedRequest> => {
        const client = new S3Client({ region: 'us-east-1', endpoint: ENDPOINT, credentials: creds, forcePathStyle: true });
        const url = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: 'b', Key: 'tenants/t/runs/r/patch.diff' }), { expiresIn, signingDate: new Date(T0) }));
        return { method: 'GET', url: `${url.pathname}${url.search}`, headers: { host: url.host }, body: Buffer.alloc(0) };
      });

    it('accepts a presigned URL until X-Amz-Date + X-Amz-Expires, and refuses it after', async () => {
      const req = await presign(900);
      const clock = new ManualClock(T0);
      const v = verifier(clock, ['s3']);
      expect(await v.verify(req)).toEqual({ ok: true, service: 's3' });
      clock.advance(899_000);
      expect(await v.verify(req)).toEqual({ ok: true, service: 's3' });
      clock.advance(2_000);
      expect(await v.verify(req)).toMatchObject({ ok: false, reason: 'expired' });
    });

    it('refuses a presigned URL made with a wrong secret, or with a query parameter changed or added', async () => {
      const v = verifier(new ManualClock(T0), ['s3']);
      expect(await v.verify(await presign(900, { ...CREDS, secretAccessKey: 'nope' }))).toMatchObject({ ok: false, reason: 'bad_signature' });
      const longer = await presign(900);
      longer.url = longer.url.replace('X-Amz-Expires=900', 'X-Amz-Expires=9000');
      expect(await v.verify(longer)).toMatchObject({ ok: false, reason: 'bad_signature' });
      const other = await presign(900);
      other.url = other.url.replace('patch.diff', 'summary.json');
      expect(await v.verify(other)).toMatchObject({ ok: false, reason: 'bad_signature' });
    });

    it('refuses an expiry above a week, and a request signed both ways', async () => {
      const v = verifier(new ManualClock(T0), ['s3']);
      const long = await presign(900);
      long.url = long.url.replace('X-Amz-Expires=900', 'X-Amz-Expires=604801');
      expect(await v.verify(long)).toMatchObject({ ok: false, reason: 'malformed' });
      const both = await presign(900);
      both.headers.authorization = 'AWS4-HMAC-SHA256 Credential=x/20260601/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00';
      expect(await v.verify(both)).toMatchObject({ ok: false, reason: 'malformed' });
    });
  });
});
