import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateTableCommand, GetItemCommand, ListTablesCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createAwsClients, type AwsClients } from '@outpost/shared';
import { ShiftedClock } from '@outpost/testkit';
import { startEmulators, type Emulators } from '../src/local/index.js';

const TABLE = 'auth-test';
const BUCKET = 'auth-test-bucket';

/** What the SDK made of a refusal: the error name, the HTTP status. */
async function refusal(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
  if (!err) throw new Error('the call succeeded; a refusal was expected');
  return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
}

describe('local emulators › SigV4 with the stack credentials only', () => {
  let emulators: Emulators;
  let good: AwsClients;
  let queueUrl: string;
  const clock = new ShiftedClock();
  const others: AwsClients[] = [];
  const clientsWith = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const c = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: emulators.endpoints, credentials });
    others.push(c);
    return c;
  };

  beforeAll(async () => {
    emulators = await startEmulators({ clock });
    good = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: emulators.endpoints, credentials: emulators.credentials });
    await good.dynamo.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await good.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await good.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt', Body: 'x' }));
    queueUrl = (await good.sqs.send(new CreateQueueCommand({ QueueName: 'auth-test-jobs' }))).QueueUrl!;
  });
  afterAll(async () => {
    for (const c of others) c.destroy();
    good?.destroy();
    await emulators?.stop();
  });

  it('makes a random key pair per start when none is given', async () => {
    const again = await startEmulators();
    try {
      expect(again.credentials.accessKeyId).toMatch(/^[A-Z0-9]{20}$/);
      expect(again.credentials.secretAccessKey.length).toBeGreaterThanOrEqual(40);
      expect(again.credentials).not.toEqual(emulators.credentials);
    } finally {
      await again.stop();
    }
  });

  it('serves the stack credentials: DynamoDB, SQS, S3 (multipart too) and presigned GET/PUT', async () => {
    await good.dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'a' } } }));
    expect((await good.dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'a' } } }))).Item).toEqual({ pk: { S: 'a' } });
    await good.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }));
    const got = await good.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['hello']);
    await good.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt', Body: 'x' }));
    const body = await good.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt' }));
    expect(await body.Body!.transformToString()).toBe('x');
    const big = Buffer.alloc(11 * 1024 * 1024, 7);
    await new Upload({ client: good.s3, params: { Bucket: BUCKET, Key: 'big.bin', Body: big }, partSize: 5 * 1024 * 1024 }).done();
    expect((await good.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }))).ContentLength).toBe(big.length);

    const putUrl = await getSignedUrl(good.s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'presigned.txt' }), { expiresIn: 60 });
    expect((await fetch(putUrl, { method: 'PUT', body: 'via url' })).status).toBe(200);
    const getUrl = await getSignedUrl(good.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'presigned.txt' }), { expiresIn: 60 });
    expect(await (await fetch(getUrl)).text()).toBe('via url');
  });

  describe.each([
    ['made-up credentials', () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })],
    ['the right key id with a wrong secret', () => ({ accessKeyId: emulators.credentials.accessKeyId, secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret-00' })],
  ])('%s', (label, creds) => {
    const madeUp = label.startsWith('made-up');

    it('DynamoDB ListTables, Scan, PutItem: 400 UnrecognizedClientException / InvalidSignatureException, nothing written', async () => {
      const bad = clientsWith(creds());
      const expected = madeUp ? 'UnrecognizedClientException' : 'InvalidSignatureException';
      for (const call of [
        bad.dynamo.send(new ListTablesCommand({})),
        bad.dynamo.send(new ScanCommand({ TableName: TABLE })),
        bad.dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `forged-${label}` } } })),
      ]) {
        expect(await refusal(call)).toMatchObject({ name: expected, status: 400 });
      }
      expect((await good.dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `forged-${label}` } } }))).Item).toBeUndefined();
    });

    it('SQS SendMessage, ReceiveMessage: 403 InvalidClientTokenId / SignatureDoesNotMatch, nothing sent', async () => {
      const bad = clientsWith(creds());
      const expected = madeUp ? 'InvalidClientTokenId' : 'SignatureDoesNotMatch';
      expect(await refusal(bad.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'forged' })))).toMatchObject({ name: expected, status: 403 });
      expect(await refusal(bad.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl })))).toMatchObject({ name: expected, status: 403 });
      const left = await good.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
      expect(left.Messages ?? []).toEqual([]);
    });

    it('S3 GetObject, PutObject: 403 InvalidAccessKeyId / SignatureDoesNotMatch, nothing written', async () => {
      const bad = clientsWith(creds());
      const expected = madeUp ? 'InvalidAccessKeyId' : 'SignatureDoesNotMatch';
      expect(await refusal(bad.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt' })))).toMatchObject({ name: expected, status: 403 });
      expect(await refusal(bad.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'forged.txt', Body: 'x' })))).toMatchObject({ name: expected, status: 403 });
      const url = await getSignedUrl(bad.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt' }), { expiresIn: 60 });
      expect((await fetch(url)).status).toBe(403);
      expect(await refusal(good.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'forged.txt' })))).toMatchObject({ status: 404 });
    });
  });

  describe('no credentials at all (plain HTTP)', () => {
    it('DynamoDB: 400 MissingAuthenticationTokenException', async () => {
      const res = await fetch(emulators.endpoints.dynamodb, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
        body: '{}',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ __type: 'com.amazon.coral.service#MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' });
    });

    it('SQS: 403 MissingAuthenticationToken; S3 and the emulator inspection routes: 403 AccessDenied', async () => {
      const sqs = await fetch(emulators.endpoints.sqs, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
        body: JSON.stringify({ QueueUrl: queueUrl }),
      });
      expect(sqs.status).toBe(403);
      expect(sqs.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationToken;Sender');
      expect(((await sqs.json()) as { __type: string }).__type).toMatch(/#MissingAuthenticationToken$/);
      for (const p of [`/${BUCKET}/dir/a%20b%2Bc.txt`, `/${BUCKET}?list-type=2`, '/_fauxqs/queues', '/_fauxqs/queues/auth-test-jobs', '/health']) {
        const res = await fetch(`${emulators.endpoints.s3}${p}`);
        expect({ p, status: res.status }).toEqual({ p, status: 403 });
        expect(await res.text()).toMatch(/<Code>AccessDenied<\/Code>/);
      }
      const put = await fetch(`${emulators.endpoints.s3}/${BUCKET}/forged.txt`, { method: 'PUT', body: 'x' });
      expect(put.status).toBe(403);
    });
  });

  it('a presigned URL works until X-Amz-Date + X-Amz-Expires and is refused after (403 AccessDenied, Request has expired)', async () => {
    const url = await getSignedUrl(good.s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt' }), { expiresIn: 900 });
    try {
      clock.offsetMs = 895_000;
      expect(await (await fetch(url)).text()).toBe('x');
      clock.offsetMs = 905_000;
      const late = await fetch(url);
      expect(late.status).toBe(403);
      const xml = await late.text();
      expect(xml).toContain('<Code>AccessDenied</Code>');
      expect(xml).toContain('<Message>Request has expired</Message>');
      expect(xml).toContain('<X-Amz-Expires>900</X-Amz-Expires>');
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('a signed request replayed within 15 minutes passes (as on AWS), and one replayed later is refused', async () => {
    // The exact bytes a client with the key sent, captured after signing, sent again later.
    const sent: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
    const recorder = createAwsClients({ mode: 'local', region: 'us-east-1', endpoints: emulators.endpoints, credentials: emulators.credentials });
    others.push(recorder);
    type Recordable = { middlewareStack: { add(mw: (next: (a: { request: unknown }) => Promise<unknown>) => (a: { request: unknown }) => Promise<unknown>, o: object): void } };
    for (const c of [recorder.dynamo, recorder.s3] as unknown as Recordable[]) {
      c.middlewareStack.add(
        (next) => async (args) => {
          const r = args.request as { protocol: string; hostname: string; port?: number; path: string; query?: Record<string, string>; method: string; headers: Record<string, string>; body?: unknown };
          const qs = new URLSearchParams(r.query ?? {}).toString();
          sent.push({ url: `http://${r.hostname}:${r.port}${r.path}${qs ? `?${qs}` : ''}`, method: r.method, headers: { ...r.headers }, ...(typeof r.body === 'string' || r.body instanceof Uint8Array ? { body: Buffer.from(r.body).toString() } : {}) });
          return next(args);
        },
        { step: 'finalizeRequest', priority: 'low' },
      );
    }
    await recorder.dynamo.send(new ListTablesCommand({}));
    await recorder.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dir/a b+c.txt' }));
    const [dynamoCall, s3Call] = sent as [(typeof sent)[0], (typeof sent)[0]];
    const replay = (c: (typeof sent)[0]) => fetch(c.url, { method: c.method, headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) });
    try {
      clock.offsetMs = 14 * 60_000;
      expect((await replay(dynamoCall)).status).toBe(200);
      expect(await (await replay(s3Call)).text()).toBe('x');
      clock.offsetMs = 16 * 60_000;
      const late = await replay(dynamoCall);
      expect(late.status).toBe(400);
      expect(await late.json()).toMatchObject({ __type: 'com.amazon.coral.service#InvalidSignatureException', message: expect.stringMatching(/^Signature expired: /) });
      const lateS3 = await replay(s3Call);
      expect(lateS3.status).toBe(403);
      expect(await lateS3.text()).toContain('<Code>RequestTimeTooSkewed</Code>');
    } finally {
      clock.offsetMs = 0;
    }
  });
});
