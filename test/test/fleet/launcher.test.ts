import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, launchLocalStack, LocalStackEnv, type LocalStackHandle } from '@outpost/infra/local';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAwsClients,
  FileParameterStore,
  newRunId,
  newSigningSecret,
  openStores,
  parseEnv,
  silentLogger,
  toBaseConfig,
  webhookSecretPath,
  type AwsClients,
  type Stores,
} from '@outpost/shared';
import { until } from '@outpost/testkit';
import { BUILD_HINT, WORKER_BUILT } from './helpers/fleet.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../services/dispatcher/dist/fleet-cli.js');
const run = promisify(execFile);

// The launcher spawns the BUILT dispatcher (dist/main.js), which starts BUILT workers: build first.
describe('npm start with the dispatcher (launcher → dist/main.js → local workers) and the fleet CLI', () => {
  let home: string;
  let stack: LocalStackHandle;
  let clients: AwsClients;
  let stores: Stores;
  let ports: { dynamo: number; sqs: number };

  beforeAll(async () => {
    if (!WORKER_BUILT) throw new Error(BUILD_HINT);
    home = await mkdtemp(path.join(tmpdir(), 'outpost-launch-'));
    ports = { dynamo: await freePort(), sqs: await freePort() };
    const env = parseEnv(LocalStackEnv, {
      OUTPOST_HOME: home,
      OUTPOST_PREFIX: 'outpost',
      OUTPOST_LOG_LEVEL: 'warn',
      OUTPOST_EDGE_PORT: String(await freePort()),
      OUTPOST_DYNAMODB_PORT: String(ports.dynamo),
      OUTPOST_SQS_PORT: String(ports.sqs),
    });
    stack = await launchLocalStack({ env, logger: silentLogger, stdio: 'ignore' });
    const config = toBaseConfig({ ...env, OUTPOST_HOME: home, ...endpointVars(stack.childEnv) });
    clients = createAwsClients(config);
    stores = openStores(config, clients);
  }, 60_000);
  afterAll(async () => {
    clients?.destroy();
    await stack?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  }, 150_000);

  const cli = (...args: string[]) =>
    run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, OUTPOST_HOME: home, OUTPOST_DYNAMODB_PORT: String(ports.dynamo), OUTPOST_SQS_PORT: String(ports.sqs) },
    });

  it('starts the dispatcher, not workers, and the dispatcher keeps the enterprise minimum of 1 worker', async () => {
    expect(stack.children.has('dispatcher')).toBe(true);
    expect([...stack.children.keys()].filter((name) => name.startsWith('worker'))).toEqual([]);
    const [hb] = await until(async () => {
      const live = await stores.workers.listLive('enterprise');
      return live.length === 1 ? live : undefined;
    }, { what: 'one enterprise worker', timeoutMs: 60_000 });
    expect(hb).toMatchObject({ tier: 'enterprise', state: 'idle' });
    expect(await stores.workers.getFleetState('enterprise')).toMatchObject({ desired: 1, min: 1, max: 4, source: 'local' });
  }, 90_000);

  it("relays a run's end through the dispatcher's tick to the notifier process, which delivers it signed", async () => {
    expect(stack.children.has('notifier')).toBe(true);
    const bodies: { headers: Record<string, unknown>; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => (bodies.push({ headers: req.headers, body }), res.writeHead(204).end()));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const tenantId = stack.local.tenantId;
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const endpoint = await stores.webhooks.create({ tenantId, url, kind: 'standard', events: ['run.succeeded'] });
      await new FileParameterStore(path.join(home, 'secrets.json')).put(webhookSecretPath(stack.childEnv.OUTPOST_ENV!, tenantId, endpoint.endpointId), newSigningSecret());
      const run = await stores.runs.create({ tenantId, runId: newRunId(), tier: 'free', agent: 'shell', repo: 'o/r', task: 'x', taskBytes: 1, timeoutSeconds: 60, maxAttempts: 3 });
      const { leaseToken } = await stores.runs.acquireLease({ tenantId, runId: run.runId, tier: 'free', workerId: 'wkr_e2e', leaseMs: 60_000 });
      await stores.runs.finish({ tenantId, runId: run.runId, leaseToken, status: 'succeeded', exitCode: 0 });
      await until(() => bodies.length > 0, { what: 'the webhook delivery', timeoutMs: 60_000 });
      expect(bodies[0]!.body).toContain(run.runId);
      expect(bodies[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  }, 90_000);

  it('`fleet set` changes the pool at the next tick and `fleet status` shows it', async () => {
    const set = await cli('set', 'pro', '--min', '2', '--max', '3');
    expect(set.stdout).toMatch(/pro: override \{"minWorkers":2,"maxWorkers":3\}/);
    await until(async () => (await stores.workers.listLive('pro')).length === 2, { what: 'two pro workers', timeoutMs: 60_000 });
    const status = JSON.parse((await cli('status', '--json')).stdout) as { tier: string; desired: number; idle: number; min: number; max: number }[];
    expect(status.find((t) => t.tier === 'pro')).toMatchObject({ desired: 2, idle: 2, min: 2, max: 3 });
    expect((await cli('status')).stdout).toMatch(/^enterprise\s+1\s+1\s/m);
  }, 90_000);

  it('stopping the stack drains and stops every worker', async () => {
    const pids = [...(await stores.workers.listLive('pro')), ...(await stores.workers.listLive('enterprise'))].map((hb) => hb.pid!);
    expect(pids).toHaveLength(3);
    await stack.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 150_000);
});

function endpointVars(env: Record<string, string>) {
  return {
    OUTPOST_DYNAMODB_ENDPOINT: env.OUTPOST_DYNAMODB_ENDPOINT,
    OUTPOST_SQS_ENDPOINT: env.OUTPOST_SQS_ENDPOINT,
    OUTPOST_S3_ENDPOINT: env.OUTPOST_S3_ENDPOINT,
    // The emulators accept only the stack's key pair, which the services get from the launcher.
    OUTPOST_LOCAL_ACCESS_KEY_ID: env.OUTPOST_LOCAL_ACCESS_KEY_ID,
    OUTPOST_LOCAL_SECRET_ACCESS_KEY: env.OUTPOST_LOCAL_SECRET_ACCESS_KEY,
  };
}
