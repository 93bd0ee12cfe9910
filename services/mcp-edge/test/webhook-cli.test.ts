import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startTestStack, type TestStack } from '@outpost/testkit';
import {
  FileParameterStore,
  openStores,
  parameterPaths,
  parseWebhookMessage,
  UsageError,
  WebhookDeliveryStore,
  webhookQueueDefinition,
  webhookSecretPath,
  type Stores,
} from '@outpost/shared';
import { runTenantCommand } from '../src/admin/tenant-commands.js';
import { TenantDirectory } from '../src/admin/tenant-directory.js';
import type { WebhookCommandDeps } from '../src/admin/webhook-commands.js';

describe('npm run tenant -- webhook …', () => {
  let home: string;
  let stack: TestStack;
  let stores: Stores;
  let params: FileParameterStore;
  let webhooks: WebhookCommandDeps;
  const tenantA = 'ten_webhookcliA';
  const tenantB = 'ten_webhookcliB';
  const cmd = (tenant: string, ...argv: string[]) =>
    runTenantCommand(['webhook', ...argv], { stores, directory: new TenantDirectory(stack.clients.doc, stores.names.tables.tenants), webhooks: { ...webhooks, defaultTenantId: tenant } });

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-webhook-cli-'));
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    params = new FileParameterStore(path.join(home, 'secrets.json'));
    webhooks = {
      mode: 'local',
      env: stack.config.env,
      endpoints: stores.webhooks,
      deliveries: new WebhookDeliveryStore({ tableName: stores.names.tables.webhookDeliveries, doc: stack.clients.doc }),
      params,
      sqs: stack.clients.sqs,
      queueUrl: () => stores.queues.url(webhookQueueDefinition(stack.config.prefix).name),
      testWaitMs: 300,
    };
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('add prints the secret once and stores it outside the path workers read; list, rotate-secret and remove follow', async () => {
    const added = (await cmd(tenantA, 'add', '--url', 'http://127.0.0.1:9/hooks/secret-token-part')) as { endpointId: string; secret: string; url: string; events: string[] };
    expect(added.secret).toMatch(/^whsec_/);
    expect(added.url).toBe('http://127.0.0.1:9/hooks/…');
    expect(added.events).not.toContain('run.started');
    expect(await params.get(webhookSecretPath(stack.config.env, tenantA, added.endpointId))).toBe(added.secret);
    // What a worker reads for tenant A (its BYOK path, recursively) holds no webhook secret.
    expect(JSON.stringify(await params.getByPath(parameterPaths.tenantSecrets(stack.config.env, tenantA)))).not.toContain('whsec_');

    const listed = await cmd(tenantA, 'list');
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    expect(JSON.stringify(listed)).not.toContain('secret-token-part');

    const rotated = (await cmd(tenantA, 'rotate-secret', '--id', added.endpointId)) as { secret: string };
    expect(rotated.secret).not.toBe(added.secret);
    expect(await params.get(webhookSecretPath(stack.config.env, tenantA, added.endpointId))).toBe(rotated.secret);

    const tested = (await cmd(tenantA, 'test', '--id', added.endpointId)) as { webhookId: string; queued: boolean };
    expect(tested.queued).toBe(true); // no notifier in this test: the message waits in the queue
    const queueUrl = await webhooks.queueUrl();
    const got = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => parseWebhookMessage(m.Body)?.webhookId)).toContain(tested.webhookId);

    await cmd(tenantA, 'remove', '--id', added.endpointId);
    expect(await cmd(tenantA, 'list')).toEqual({ webhooks: [] });
  });

  it("treats another tenant's endpoint exactly like a missing one", async () => {
    const added = (await cmd(tenantA, 'add', '--url', 'http://127.0.0.1:9/x', '--kind', 'slack', '--events', 'run.failed')) as { endpointId: string; secret?: string };
    expect(added.secret).toBeUndefined();
    const missing = 'wh_01JABCDEFGHJKMNPQRSTVWXYZ0';
    for (const sub of ['remove', 'enable', 'deliveries', 'rotate-secret', 'test']) {
      const theirs = await cmd(tenantB, sub, '--id', added.endpointId).catch((e: unknown) => e);
      const none = await cmd(tenantB, sub, '--id', missing).catch((e: unknown) => e);
      expect(theirs).toBeInstanceOf(UsageError);
      expect((theirs as Error).message).toBe((none as Error).message.replace(missing, added.endpointId));
    }
    expect(await cmd(tenantB, 'list')).toEqual({ webhooks: [] });
  });

  it.each([
    [['add', '--url', 'ftp://example.com/x'], /http and https/],
    [['add', '--url', 'https://user:pw@example.com/x'], /credentials/],
    [['add', '--url', 'https://example.com/x', '--events', 'run.exploded'], /unknown event/],
    [['add', '--url', 'https://example.com/x', '--kind', 'teams'], /--kind/],
    [['list', '--bogus'], /bogus/],
  ])('refuses %j', async (argv, message) => {
    await expect(cmd(tenantA, ...argv)).rejects.toThrow(message);
  });

  it('refuses http in aws mode', async () => {
    const aws = { ...webhooks, mode: 'aws' as const, defaultTenantId: tenantA };
    await expect(runTenantCommand(['webhook', 'add', '--url', 'http://example.com/x'], { stores, directory: new TenantDirectory(stack.clients.doc, stores.names.tables.tenants), webhooks: aws })).rejects.toThrow(/only https/);
  });
});
