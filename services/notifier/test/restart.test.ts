import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OutboxStore, webhookIdFor } from '@outpost/shared';
import { WebhookRelay } from '@outpost/dispatcher';
import { testTenant, until } from '@outpost/testkit';
import { Notifier } from '../src/notifier.js';
import { Receiver } from './helpers/receiver.js';
import { openHarness } from './helpers/stack.js';

describe('no event lost when the stack dies', () => {
  const receiver = new Receiver();
  let home: string;
  let dataDir: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-hooks-home-'));
    dataDir = await mkdtemp(path.join(tmpdir(), 'outpost-hooks-data-'));
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  it('delivers, after a restart, an event whose run ended just before the stack was killed', async () => {
    const prefix = `r${process.pid}`;
    const first = await openHarness({ home, dataDir, prefix });
    const tenant = testTenant();
    receiver.secret = (await first.addEndpoint(tenant, receiver.url)).secret;
    const runId = await first.finishedRun(tenant);
    await first.close({ keepHome: true }); // down before any relay pass: only the run item knows

    const second = await openHarness({ home, dataDir, prefix });
    const deps = second.deliverDeps();
    const notifier = new Notifier({ deliver: deps, sqs: second.stack.clients.sqs, queueUrl: second.queueUrl, pollSeconds: 1, logger: deps.logger });
    notifier.start();
    try {
      expect((await second.relay.pass()).messages).toBe(1);
      await until(() => receiver.events.size === 1, { what: 'the delivery after restart' });
      expect(receiver.requests[0]!.verified).toBe(true);
      expect(receiver.requests[0]!.headers['webhook-id']).toBe(webhookIdFor(runId, 'run.succeeded'));
    } finally {
      await notifier.stop();
      await second.close({ keepHome: true });
    }
  });

  it('sends again, under the same webhook-id, when the relay dies between its send and its clear', async () => {
    const h = await openHarness({ home, prefix: `c${process.pid}` });
    const deps = h.deliverDeps();
    const notifier = new Notifier({ deliver: deps, sqs: h.stack.clients.sqs, queueUrl: h.queueUrl, pollSeconds: 1, logger: deps.logger });
    notifier.start();
    try {
      receiver.requests.length = 0;
      receiver.events.clear();
      const tenant = testTenant();
      receiver.secret = (await h.addEndpoint(tenant, receiver.url)).secret;
      const runId = await h.finishedRun(tenant);
      const outbox = new OutboxStore({ tableName: h.stores.names.tables.runs, doc: h.stack.clients.doc });
      const crashing = Object.assign(Object.create(outbox) as OutboxStore, {
        clear: async () => {
          throw new Error('killed before the clear');
        },
      });
      const dying = new WebhookRelay({ outbox: crashing, endpoints: h.endpoints, sqs: h.stack.clients.sqs, queueUrl: async () => h.queueUrl });
      await expect(dying.pass()).rejects.toThrow('killed before the clear');
      expect((await h.relay.pass()).messages).toBe(1); // the mark survived: relayed again
      await until(() => receiver.requests.length === 2, { what: 'both copies' });
      expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhookIdFor(runId, 'run.succeeded')]));
      expect(receiver.events.size).toBe(1);
    } finally {
      await notifier.stop();
      await h.close({ keepHome: true });
    }
  });
});
