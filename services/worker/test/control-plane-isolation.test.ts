import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ensureLocalTenant, makePrivate } from '@outpost/infra/local';
import { artifactKeys, FileParameterStore, newRunId, newTenantId, parameterPaths, silentLogger, writeLocalCredentials, writeLocalEndpoints } from '@outpost/shared';
import { harness, makeRepo, REPO_ROOT, type Harness } from './helpers.js';

const asRoot = process.getuid?.() === 0;

/** One attempt the agent made, as its probe script printed it. */
interface Attempt {
  who: 'made-up' | 'wrong-secret' | 'none';
  op: string;
  ok: boolean;
  status?: number;
  code?: string;
}

/**
 * The agent's probe: a node script driving the real AWS SDK (found in this checkout's
 * node_modules, which every user can read) and plain fetch, against the emulators' ports.
 */
function probeScript(o: { endpoints: { dynamodb: string; sqs: string; s3: string }; keyId: string; table: string; queueUrl: string; bucket: string; key: string; victim: { tenantId: string; runId: string } }): string {
  return `
const { createRequire } = require('node:module');
const req = createRequire(${JSON.stringify(`${REPO_ROOT}/package.json`)});
const ddb = req('@aws-sdk/client-dynamodb');
const sqs = req('@aws-sdk/client-sqs');
const s3 = req('@aws-sdk/client-s3');
const o = ${JSON.stringify(o)};
const sets = {
  'made-up': { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  'wrong-secret': { accessKeyId: o.keyId, secretAccessKey: 'guessed-guessed-guessed-guessed-guessed0' },
};
const print = (a) => console.log('ATTEMPT ' + JSON.stringify(a));
const item = { tenantId: { S: o.victim.tenantId }, runId: { S: o.victim.runId }, status: { S: 'succeeded' } };
async function signed(who, credentials) {
  const common = { region: 'us-east-1', credentials, maxAttempts: 1 };
  const d = new ddb.DynamoDBClient({ ...common, endpoint: o.endpoints.dynamodb });
  const q = new sqs.SQSClient({ ...common, endpoint: o.endpoints.sqs });
  const b = new s3.S3Client({ ...common, endpoint: o.endpoints.s3, forcePathStyle: true });
  const ops = {
    ListTables: () => d.send(new ddb.ListTablesCommand({})),
    Scan: () => d.send(new ddb.ScanCommand({ TableName: o.table })),
    PutItem: () => d.send(new ddb.PutItemCommand({ TableName: o.table, Item: item })),
    ReceiveMessage: () => q.send(new sqs.ReceiveMessageCommand({ QueueUrl: o.queueUrl, WaitTimeSeconds: 0 })),
    SendMessage: () => q.send(new sqs.SendMessageCommand({ QueueUrl: o.queueUrl, MessageBody: JSON.stringify({ v: 1, ...o.victim }) })),
    GetObject: () => b.send(new s3.GetObjectCommand({ Bucket: o.bucket, Key: o.key })),
    PutObject: () => b.send(new s3.PutObjectCommand({ Bucket: o.bucket, Key: o.key + '.forged', Body: 'forged' })),
  };
  for (const [op, call] of Object.entries(ops)) {
    try {
      await call();
      print({ who, op, ok: true });
    } catch (err) {
      print({ who, op, ok: false, status: err.$metadata && err.$metadata.httpStatusCode, code: err.name });
    }
  }
}
async function unsigned() {
  const json = (target, body) => ({ method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target }, body: JSON.stringify(body) });
  const ops = {
    ListTables: [o.endpoints.dynamodb, json('DynamoDB_20120810.ListTables', {})],
    Scan: [o.endpoints.dynamodb, json('DynamoDB_20120810.Scan', { TableName: o.table })],
    PutItem: [o.endpoints.dynamodb, json('DynamoDB_20120810.PutItem', { TableName: o.table, Item: item })],
    ReceiveMessage: [o.endpoints.sqs, json('AmazonSQS.ReceiveMessage', { QueueUrl: o.queueUrl })],
    SendMessage: [o.endpoints.sqs, json('AmazonSQS.SendMessage', { QueueUrl: o.queueUrl, MessageBody: 'forged' })],
    GetObject: [o.endpoints.s3 + '/' + o.bucket + '/' + o.key, { method: 'GET' }],
    PutObject: [o.endpoints.s3 + '/' + o.bucket + '/' + o.key + '.forged', { method: 'PUT', body: 'forged' }],
    Inspect: [o.endpoints.sqs + '/_fauxqs/queues', { method: 'GET' }],
  };
  for (const [op, [url, init]] of Object.entries(ops)) {
    const res = await fetch(url, init);
    const text = await res.text();
    const code = (/"__type":"[^#"]*#([A-Za-z]+)"/.exec(text) || /<Code>([A-Za-z]+)<\\/Code>/.exec(text) || [])[1];
    print({ who: 'none', op, ok: res.ok, status: res.status, code });
  }
}
(async () => {
  for (const [who, creds] of Object.entries(sets)) await signed(who, creds);
  await unsigned();
})().catch((err) => { console.log('PROBE FAILED ' + err.stack); process.exit(1); });
`;
}

// In local mode the emulators' ports are open to every user of the machine: a task (written by
// a stranger) must not be able to read or rewrite the control plane, nor read the stack's files.
(asRoot ? describe : describe.skip)('worker › a shell agent (uid nobody) cannot reach the control plane', () => {
  let h: Harness;
  let holder: ChildProcess;
  const victim = { tenantId: newTenantId(), runId: newRunId() };
  let artifactKey: string;

  beforeAll(async () => {
    h = await harness({ persist: true });
    // The home as `npm start` leaves it: its files, then made private (0700 dirs, 0600 files).
    await writeLocalCredentials(h.home, h.stack.emulators.credentials);
    await writeLocalEndpoints(h.home, { ...h.stack.emulators.endpoints, prefix: h.stack.config.prefix, env: h.stack.config.env });
    await ensureLocalTenant(h.stores.tenants, h.home, 'http://127.0.0.1:1/mcp', silentLogger);
    await h.setSecret('anthropic_api_key', 'sk-ant-victim-key');
    await new FileParameterStore(path.join(h.home, 'fleet.json')).put(parameterPaths.fleetTier(h.stack.config.env, 'free'), '{"max":1}');
    artifactKey = artifactKeys.artifact(victim.tenantId, victim.runId, 'patch.diff');
    await h.stack.clients.s3.send(new PutObjectCommand({ Bucket: h.stores.names.bucket, Key: artifactKey, Body: 'another tenant\'s patch' }));
    await makePrivate(h.home);
    // Stands in for a service process: root, the key pair in its environment.
    holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)'], { env: { OUTPOST_LOCAL_SECRET_ACCESS_KEY: h.stack.emulators.credentials.secretAccessKey }, stdio: 'ignore' });
    await h.startWorker();
  }, 60_000);
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await h?.stop();
  });

  it('ListTables, Scan, PutItem, ReceiveMessage, SendMessage, GetObject, PutObject with made-up, wrong or no credentials are all refused', async () => {
    const repo = await makeRepo(h.tmp);
    const probe = probeScript({
      endpoints: h.stack.emulators.endpoints,
      keyId: h.stack.emulators.credentials.accessKeyId,
      table: h.stores.names.tables.runs,
      queueUrl: await h.stores.queues.jobsUrl('pro'), // no worker serves pro here: a forged job would stay visible
      bucket: h.stores.names.bucket,
      key: artifactKey,
      victim,
    });
    const task = `id -u; cat > "$TMPDIR/probe.cjs" <<'PROBE'\n${probe}\nPROBE\nnode "$TMPDIR/probe.cjs"; echo "curl: $(curl -s -o /dev/null -w '%{http_code}' ${h.stack.emulators.endpoints.s3}/${h.stores.names.bucket}/${artifactKey})"`;
    const end = await h.waitEnd(await h.dispatch({ agent: 'shell', repo: repo.dir, task }), 90_000);
    const log = (await h.s3Objects(artifactKeys.artifact(end.tenantId, end.runId, 'log.txt')))[0]!.body.toString();
    expect({ status: end.status, log }).toMatchObject({ status: 'succeeded' });
    expect(log).toMatch(/ out 65534$/m); // nobody
    const attempts = [...log.matchAll(/ out ATTEMPT (.*)$/gm)].map((m) => JSON.parse(m[1]!) as Attempt);
    const expected: Record<Attempt['who'], Record<string, [number, string]>> = {
      'made-up': {
        ListTables: [400, 'UnrecognizedClientException'],
        Scan: [400, 'UnrecognizedClientException'],
        PutItem: [400, 'UnrecognizedClientException'],
        ReceiveMessage: [403, 'InvalidClientTokenId'],
        SendMessage: [403, 'InvalidClientTokenId'],
        GetObject: [403, 'InvalidAccessKeyId'],
        PutObject: [403, 'InvalidAccessKeyId'],
      },
      'wrong-secret': {
        ListTables: [400, 'InvalidSignatureException'],
        Scan: [400, 'InvalidSignatureException'],
        PutItem: [400, 'InvalidSignatureException'],
        ReceiveMessage: [403, 'SignatureDoesNotMatch'],
        SendMessage: [403, 'SignatureDoesNotMatch'],
        GetObject: [403, 'SignatureDoesNotMatch'],
        PutObject: [403, 'SignatureDoesNotMatch'],
      },
      none: {
        ListTables: [400, 'MissingAuthenticationTokenException'],
        Scan: [400, 'MissingAuthenticationTokenException'],
        PutItem: [400, 'MissingAuthenticationTokenException'],
        ReceiveMessage: [403, 'MissingAuthenticationToken'],
        SendMessage: [403, 'MissingAuthenticationToken'],
        GetObject: [403, 'AccessDenied'],
        PutObject: [403, 'AccessDenied'],
        Inspect: [403, 'AccessDenied'],
      },
    };
    const want = Object.entries(expected).flatMap(([who, ops]) => Object.entries(ops).map(([op, [status, code]]) => ({ who, op, ok: false, status, code })));
    expect(attempts).toEqual(want);
    expect(log).toContain('curl: 403');

    // Nothing was written: no forged run record, no forged job, no forged object.
    const item = await h.stack.clients.dynamo.send(
      new GetItemCommand({ TableName: h.stores.names.tables.runs, Key: { tenantId: { S: victim.tenantId }, runId: { S: victim.runId } }, ConsistentRead: true }),
    );
    expect(item.Item).toBeUndefined();
    const depth = await h.stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await h.stores.queues.jobsUrl('pro'), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(depth.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    await expect(h.stack.clients.s3.send(new HeadObjectCommand({ Bucket: h.stores.names.bucket, Key: `${artifactKey}.forged` }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  }, 120_000);

  it('reads nothing the stack keeps (home, emulator data, credentials, secrets, endpoints, fleet overrides) nor a service\'s environment', async () => {
    const repo = await makeRepo(h.tmp);
    const files = ['credentials.json', 'local.json', 'secrets.json', 'endpoints.json', 'fleet.json', 'data/dynamodb/CURRENT'].map((f) => path.join(h.home, f));
    const bucketDir = path.join(h.home, 'data', 's3', encodeURIComponent(h.stores.names.bucket));
    files.push(path.join(bucketDir, (await readdir(bucketDir)).find((f) => f.endsWith('.json'))!));
    for (const f of files) expect(existsSync(f)).toBe(true);
    const dirs = [h.home, path.join(h.home, 'data'), path.join(h.home, 'data', 'dynamodb'), bucketDir];
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const task = [
      ...files.map((f) => `if cat ${q(f)} >/dev/null 2>&1; then echo "READ ${f}"; else echo "DENIED ${f}"; fi`),
      ...dirs.map((d) => `if ls ${q(d)} >/dev/null 2>&1; then echo "LISTED ${d}"; else echo "DENIED ${d}"; fi`),
      `if cat /proc/${holder.pid}/environ >/dev/null 2>&1; then echo "READ environ"; else echo "DENIED environ"; fi`,
      // Everywhere this suite keeps things (the stack's home, every run's workspace, the repos).
      `grep -rlF -- ${q(h.stack.emulators.credentials.secretAccessKey)} ${q(h.tmp)} 2>/dev/null | head -3 | sed 's/^/FOUND /'`,
      'echo done',
    ].join('\n');
    const end = await h.waitEnd(await h.dispatch({ agent: 'shell', repo: repo.dir, task }), 90_000);
    const log = (await h.s3Objects(artifactKeys.artifact(end.tenantId, end.runId, 'log.txt')))[0]!.body.toString();
    expect(end.status).toBe('succeeded');
    expect(log).toContain('done');
    const lines = [...log.matchAll(/ out (.*)$/gm)].map((m) => m[1]!);
    expect(lines.filter((l) => /^(READ|LISTED|FOUND) /.test(l))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('DENIED '))).toHaveLength(files.length + dirs.length + 1);
  }, 180_000);
});
