import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseWebhookMessage } from '@outpost/shared';
import { testTenant, until } from '@outpost/testkit';
import { deliverWebhook } from '../src/deliver.js';
import { openHarness, type Harness } from './helpers/stack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DOC = path.resolve(here, '../../../docs/webhooks.md');

/** The receiver exactly as docs/webhooks.md shows it (the ```js receiver.mjs block). */
async function receiverFromDocs(): Promise<string> {
  const match = /```js receiver\.mjs\n([\s\S]*?)```/.exec(await readFile(DOC, 'utf8'));
  if (!match) throw new Error('docs/webhooks.md has no ```js receiver.mjs block');
  return match[1]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('the receiver in docs/webhooks.md', () => {
  let h: Harness;
  let child: ChildProcess;
  let dir: string;
  let out = '';
  let url: string;
  let tenant: string;

  beforeAll(async () => {
    h = await openHarness();
    const port = await freePort();
    url = `http://127.0.0.1:${port}/hooks/outpost`;
    tenant = testTenant();
    const { secret } = await h.addEndpoint(tenant, url);
    // Inside the repository, so `import 'standardwebhooks'` resolves from its node_modules.
    dir = path.join(here, `.docs-receiver-${process.pid}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'receiver.mjs'), await receiverFromDocs());
    child = spawn(process.execPath, [path.join(dir, 'receiver.mjs')], { env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => fetch(url, { method: 'POST', body: '{}' }).then((r) => r.status === 401, () => false), { what: 'the receiver listening' });
  });
  afterAll(async () => {
    child?.kill();
    await rm(dir, { recursive: true, force: true });
    await h?.close();
  });

  it('verifies a real delivery, acts once on a duplicate, and refuses a forged one', async () => {
    const runId = await h.finishedRun(tenant);
    expect((await h.relay.pass()).messages).toBe(1);
    const got = await h.stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 2 }));
    const message = parseWebhookMessage(got.Messages?.[0]?.Body);
    expect(message).toBeDefined();

    const deps = h.deliverDeps();
    expect(await deliverWebhook(deps, message!)).toBe('delivered');
    expect(await deliverWebhook(deps, message!)).toBe('delivered'); // at least once: the same event again
    const lines = (await until(() => (out.trim() ? out.trim().split('\n') : undefined), { what: 'the receiver printing' })).map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toEqual([{ id: message!.webhookId, type: 'run.succeeded', runId, summary: expect.stringContaining(`${runId} succeeded`) }]);

    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
      body: JSON.stringify(message!.payload),
    });
    expect(forged.status).toBe(401);
    expect(out.trim().split('\n')).toHaveLength(1);
  });
});
