import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createAwsClients, credentialsPath, LocalCredentials, newRunId, openStores, parseJobMessage, readLocalCredentials, type AwsClients } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { LocalJson } from '../src/local/index.js';
import { walk } from './helpers/modes.js';
import { alive, descendants, freePort, LAUNCHER, launch, listenAddresses, LOOPBACK_V4, portInUse, type Launched } from './helpers/processes.js';

// Spawns the BUILT launcher, which starts the BUILT services: turbo's infra#test depends on the
// builds of infra, mcp-edge, dispatcher and worker (turbo.json).
const START_TIMEOUT_MS = 60_000;
const launched: Launched[] = [];

afterEach(async () => {
  // Nothing a failed test started may outlive it.
  for (const l of launched.splice(0)) {
    if (l.child.exitCode === null && l.child.signalCode === null) {
      const pids = descendants(l.child.pid!);
      l.child.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await l.exited;
    }
  }
});

interface Ports {
  OUTPOST_EDGE_PORT: string;
  OUTPOST_DYNAMODB_PORT: string;
  OUTPOST_SQS_PORT: string;
}

async function pickPorts(): Promise<Ports> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [edge, dynamo, sqs] = [...ports];
  return { OUTPOST_EDGE_PORT: String(edge), OUTPOST_DYNAMODB_PORT: String(dynamo), OUTPOST_SQS_PORT: String(sqs) };
}

async function start(home: string, ports: Ports): Promise<Launched & { startedMs: number }> {
  await mkdir(path.dirname(home), { recursive: true });
  const t0 = Date.now();
  const l = launch({ OUTPOST_HOME: home, OUTPOST_LOG_LEVEL: 'warn', ...ports }, path.dirname(home));
  launched.push(l);
  await until(
    () => {
      if (l.child.exitCode !== null) throw new Error(`launcher exited ${l.child.exitCode}: ${l.stderr()}`);
      return l.stdout().includes('Press Ctrl-C to stop');
    },
    { timeoutMs: START_TIMEOUT_MS, what: 'the launcher to print its banner' },
  );
  return { ...l, startedMs: Date.now() - t0 };
}

/** SIGTERM, then: exit code 0, the launcher and every descendant gone, every port free again. */
async function stopAndCheck(l: Launched, ports: Ports): Promise<void> {
  const pids = [l.child.pid!, ...descendants(l.child.pid!)];
  l.child.kill('SIGTERM');
  const { code } = await l.exited;
  expect(code).toBe(0);
  await until(() => pids.every((pid) => !alive(pid)), { timeoutMs: 30_000, what: `pids ${pids.join(',')} to exit` });
  for (const port of Object.values(ports)) expect(await portInUse(Number(port))).toBe(false);
}

/** Clients signing with the stack's own key pair (credentials.json), as admin commands do. */
function clientsFor(ports: Ports, home: string): AwsClients {
  return createAwsClients({
    mode: 'local',
    region: 'us-east-1',
    credentials: readLocalCredentials(home),
    endpoints: {
      dynamodb: `http://127.0.0.1:${ports.OUTPOST_DYNAMODB_PORT}`,
      sqs: `http://127.0.0.1:${ports.OUTPOST_SQS_PORT}`,
      s3: `http://127.0.0.1:${ports.OUTPOST_SQS_PORT}`,
    },
  });
}

describe('local stack (npm start)', () => {
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: run npx turbo run build --filter=@outpost/infra... first`);
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-stack-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts, writes local.json (0600) and the claude mcp add line, keeps data across a restart, re-sends queued runs, and leaves nothing behind', async () => {
    const home = path.join(dir, 'a', '.outpost');
    const ports = await pickPorts();

    // first start: fresh data dir
    const first = await start(home, ports);
    process.stdout.write(`local stack: fresh start to banner in ${first.startedMs} ms\n`);
    const file = path.join(home, 'local.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const local = LocalJson.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(local.mcpUrl).toBe(`http://127.0.0.1:${ports.OUTPOST_EDGE_PORT}/mcp`);
    expect(local.apiKey).toMatch(/^op_(live|test)_/);
    expect(first.stdout()).toContain(`claude mcp add --transport http outpost ${local.mcpUrl} --header "Authorization: Bearer ${local.apiKey}"`);
    expect(first.stdout()).toContain(file);
    expect(existsSync(path.join(home, 'data'))).toBe(true);
    // Local mode binds to 127.0.0.1 only (the edge too, once it is built and listening).
    for (const variable of ['OUTPOST_DYNAMODB_PORT', 'OUTPOST_SQS_PORT'] as const) {
      expect(listenAddresses(Number(ports[variable]))).toEqual([LOOPBACK_V4]);
    }
    if (first.child.pid && descendants(first.child.pid).length > 0 && (await portInUse(Number(ports.OUTPOST_EDGE_PORT)))) {
      expect(listenAddresses(Number(ports.OUTPOST_EDGE_PORT)).every((a) => a === LOOPBACK_V4)).toBe(true);
    }

    // data written while it runs: a queued run (tier free) and an artifact
    let clients = clientsFor(ports, home);
    let stores = openStores({ prefix: 'outpost' }, clients);
    const runId = newRunId();
    await stores.runs.create({
      tenantId: local.tenantId, runId, tier: 'free', agent: 'shell', repo: 'file:///nonexistent/outpost-test-repo', task: 'true', taskBytes: 4, timeoutSeconds: 60, maxAttempts: 3,
    });
    const key = `tenants/${local.tenantId}/runs/${runId}/summary.json`;
    await clients.s3.send(new PutObjectCommand({ Bucket: stores.names.bucket, Key: key, Body: '{"ok":true}' }));
    clients.destroy();
    await stopAndCheck(first, ports);

    // second start on the same data: provisioning again is no error, the tenant and key are reused
    const second = await start(home, ports);
    // The launcher's own failures start with `outpost:`; services may log to stderr on their own.
    expect(second.stderr()).not.toMatch(/^outpost:|ResourceInUse|already exists/m);
    expect(LocalJson.parse(JSON.parse(await readFile(file, 'utf8')))).toEqual(local);
    // The key was printed once, when it was created; now a masked form and the file that holds it.
    expect(second.stdout()).not.toContain(local.apiKey);
    expect(second.stdout()).toContain(`${local.apiKey.slice(0, 12)}…`);
    expect(second.stdout()).toContain(file);
    clients = clientsFor(ports, home);
    stores = openStores({ prefix: 'outpost' }, clients);
    try {
      const run = await stores.runs.get(local.tenantId, runId);
      expect(run).toBeDefined();
      const body = await clients.s3.send(new GetObjectCommand({ Bucket: stores.names.bucket, Key: key }));
      expect(await body.Body!.transformToString()).toBe('{"ok":true}');
      // The SQS emulator lost its messages; the launcher sends the run's job again. A worker (if
      // one is built) may already have taken it: then the run shows an attempt instead.
      const queueUrl = await stores.queues.jobsUrl('free');
      await until(
        async () => {
          const now = await stores.runs.require(local.tenantId, runId);
          if (now.attempt > 0) return true;
          const out = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1 }));
          return (out.Messages ?? []).some((m) => parseJobMessage(m.Body)?.runId === runId);
        },
        { timeoutMs: 30_000, what: 'the queued run to be sent again' },
      );
    } finally {
      clients.destroy();
    }
    await stopAndCheck(second, ports);

    // third start: still no error
    const third = await start(home, ports);
    await stopAndCheck(third, ports);
  }, 240_000);

  it('keeps .outpost private (0700/0600, left-open files closed), makes its key pair once, signs with it, and its emulators refuse anyone else', async () => {
    const home = path.join(dir, 'private', '.outpost');
    const ports = await pickPorts();
    // What an older version left: a world-readable home and secrets file.
    await mkdir(path.join(home, 'data'), { recursive: true, mode: 0o755 });
    await chmod(home, 0o755);
    await writeFile(path.join(home, 'secrets.json'), '{}', { mode: 0o644 });

    const first = await start(home, ports);
    const entries = await walk(home);
    expect(entries.map((e) => e.path)).toEqual(expect.arrayContaining(['credentials.json', 'endpoints.json', 'local.json', 'secrets.json', 'data/dynamodb', 'data/s3']));
    for (const e of entries) expect([e.path, e.mode.toString(8)]).toEqual([e.path, e.dir ? '700' : '600']);
    const credentials = LocalCredentials.parse(JSON.parse(await readFile(credentialsPath(home), 'utf8')));
    for (const pid of descendants(first.child.pid!)) {
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
      if (environ.length > 1) expect(environ).toContain(`OUTPOST_LOCAL_ACCESS_KEY_ID=${credentials.accessKeyId}`);
    }

    const unsigned = await fetch(`http://127.0.0.1:${ports.OUTPOST_DYNAMODB_PORT}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Scan' },
      body: JSON.stringify({ TableName: 'outpost-runs' }),
    });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { __type: string }).__type).toMatch(/#MissingAuthenticationTokenException$/);
    expect((await fetch(`http://127.0.0.1:${ports.OUTPOST_SQS_PORT}/_fauxqs/queues`)).status).toBe(403);
    const forged = createAwsClients({
      mode: 'local',
      region: 'us-east-1',
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: 'not-the-secret-not-the-secret-not-the-se' },
      endpoints: { dynamodb: `http://127.0.0.1:${ports.OUTPOST_DYNAMODB_PORT}`, sqs: `http://127.0.0.1:${ports.OUTPOST_SQS_PORT}`, s3: `http://127.0.0.1:${ports.OUTPOST_SQS_PORT}` },
    });
    try {
      await expect(openStores({ prefix: 'outpost' }, forged).runs.get('ten_x', newRunId())).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    } finally {
      forged.destroy();
    }
    await stopAndCheck(first, ports);

    // A restart keeps the pair (the services, and admin commands reading the file, agree).
    const second = await start(home, ports);
    expect(LocalCredentials.parse(JSON.parse(await readFile(credentialsPath(home), 'utf8')))).toEqual(credentials);
    const clients = clientsFor(ports, home);
    try {
      expect(await openStores({ prefix: 'outpost' }, clients).runs.get('ten_x', newRunId())).toBeUndefined();
    } finally {
      clients.destroy();
    }
    await stopAndCheck(second, ports);
  }, 240_000);

  it('passes service settings (OUTPOST_*) to the services, but no AWS_* variable and no worker identity', async () => {
    const home = path.join(dir, 'env', '.outpost');
    const ports = await pickPorts();
    await mkdir(path.dirname(home), { recursive: true });
    const l = launch(
      { OUTPOST_HOME: home, OUTPOST_LOG_LEVEL: 'warn', ...ports, OUTPOST_TEST_MARKER: 'marker-1', AWS_SECRET_ACCESS_KEY: 'real-secret', OUTPOST_WORKER_ID: 'wkr_parent' },
      path.dirname(home),
    );
    launched.push(l);
    await until(() => l.stdout().includes('Press Ctrl-C to stop'), { timeoutMs: START_TIMEOUT_MS, what: 'the banner' });
    const services = descendants(l.child.pid!);
    if (!l.stdout().includes('Services: none')) expect(services.length).toBeGreaterThan(0);
    for (const pid of services) {
      let environ: string[];
      try {
        environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      } catch {
        continue; // exited meanwhile
      }
      expect(environ).toContain('OUTPOST_TEST_MARKER=marker-1');
      expect(environ).toContain(`OUTPOST_EDGE_PORT=${ports.OUTPOST_EDGE_PORT}`);
      expect(environ.filter((e) => e.startsWith('AWS_SECRET_ACCESS_KEY') || e.startsWith('AWS_ACCESS_KEY_ID'))).toEqual([]);
      expect(environ).not.toContain('OUTPOST_WORKER_ID=wkr_parent');
    }
    await stopAndCheck(l, ports);
  }, 120_000);

  it('a stop request delivered twice at once (launcher and its group) is still a clean stop', async () => {
    const home = path.join(dir, 'twice', '.outpost');
    const ports = await pickPorts();
    const l = await start(home, ports);
    const pids = [l.child.pid!, ...descendants(l.child.pid!)];
    l.child.kill('SIGTERM');
    l.child.kill('SIGTERM');
    const { code } = await l.exited;
    expect(code).toBe(0);
    expect(l.stderr()).not.toContain('stopping now');
    await until(() => pids.every((pid) => !alive(pid)), { timeoutMs: 30_000, what: 'every process to exit' });
  }, 120_000);

  it('keeps DynamoDB data and artifacts when the launcher is killed hard (SIGKILL), and starts again', async () => {
    const home = path.join(dir, 'killed', '.outpost');
    const ports = await pickPorts();
    const first = await start(home, ports);
    const local = LocalJson.parse(JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')));
    let clients = clientsFor(ports, home);
    let stores = openStores({ prefix: 'outpost' }, clients);
    const runId = newRunId();
    await stores.runs.create({
      tenantId: local.tenantId, runId, tier: 'pro', agent: 'shell', repo: 'file:///nonexistent/outpost-test-repo', task: 'true', taskBytes: 4, timeoutSeconds: 60, maxAttempts: 3,
    });
    await clients.s3.send(new PutObjectCommand({ Bucket: stores.names.bucket, Key: 'k.txt', Body: 'kept' }));
    clients.destroy();
    const pids = [first.child.pid!, ...descendants(first.child.pid!)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await first.exited;
    await until(() => pids.every((pid) => !alive(pid)), { timeoutMs: 30_000, what: 'killed processes to exit' });

    const second = await start(home, ports);
    clients = clientsFor(ports, home);
    stores = openStores({ prefix: 'outpost' }, clients);
    try {
      expect((await stores.runs.get(local.tenantId, runId))?.runId).toBe(runId);
      const body = await clients.s3.send(new GetObjectCommand({ Bucket: stores.names.bucket, Key: 'k.txt' }));
      expect(await body.Body!.transformToString()).toBe('kept');
    } finally {
      clients.destroy();
    }
    await stopAndCheck(second, ports);
  }, 240_000);

  it('services stop by themselves when the launcher alone is SIGKILLed (no orphans holding ports)', async () => {
    const home = path.join(dir, 'orphans', '.outpost');
    const ports = await pickPorts();
    const l = await start(home, ports);
    // Wait until the services are up (the edge listens), so there is something to orphan.
    await until(() => portInUse(Number(ports.OUTPOST_EDGE_PORT)), { timeoutMs: 60_000, what: 'the edge to listen' });
    const services = descendants(l.child.pid!);
    expect(services.length).toBeGreaterThan(0);
    l.child.kill('SIGKILL');
    await l.exited;
    await until(() => services.every((pid) => !alive(pid)), { timeoutMs: 120_000, what: `orphaned services ${services.join(',')} to exit` });
    expect(await portInUse(Number(ports.OUTPOST_EDGE_PORT))).toBe(false);
  }, 240_000);

  it.each(['OUTPOST_EDGE_PORT', 'OUTPOST_DYNAMODB_PORT', 'OUTPOST_SQS_PORT'] as const)(
    'a port already in use (%s) is a clear error naming the port and the variable, non-zero exit, nothing left',
    async (variable) => {
      const ports = await pickPorts();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(Number(ports[variable]), '127.0.0.1', () => resolve()));
      try {
        const l = launch({ OUTPOST_HOME: path.join(dir, `busy-${variable}`, '.outpost'), OUTPOST_LOG_LEVEL: 'warn', ...ports }, dir);
        launched.push(l);
        const { code } = await l.exited;
        expect(code).not.toBe(0);
        expect(l.stderr()).toContain(`port ${ports[variable]}`);
        expect(l.stderr()).toContain(variable);
        expect(l.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack trace
        for (const [name, port] of Object.entries(ports)) if (name !== variable) expect(await portInUse(Number(port))).toBe(false);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    },
    60_000,
  );

  it('a bad variable is a ConfigError naming it, exit 2', async () => {
    const l = launch({ OUTPOST_HOME: path.join(dir, 'bad', '.outpost'), OUTPOST_EDGE_PORT: 'eighty' }, dir);
    launched.push(l);
    const { code } = await l.exited;
    expect(code).toBe(2);
    expect(l.stderr()).toContain('OUTPOST_EDGE_PORT');
    expect(l.stderr()).toContain('"eighty"');
  });
});
