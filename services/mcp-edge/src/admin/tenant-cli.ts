#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { ConfigError, createAwsClients, loadAdminConfig, openParameterStore, openStores, UsageError, WebhookDeliveryStore, webhookQueueDefinition } from '@outpost/shared';
import { runTenantCommand, USAGE } from './tenant-commands.js';
import { TenantDirectory } from './tenant-directory.js';

// `npm run tenant -- …`: tenant and API key administration, straight against DynamoDB.
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  let config;
  try {
    config = loadAdminConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tenant: ${err.message}\n(local mode: start the stack with \`npm start\`, or set the OUTPOST_*_ENDPOINT variables)\n`);
      return 2;
    }
    throw err;
  }
  const clients = createAwsClients(config);
  try {
    const stores = openStores(config, clients);
    const directory = new TenantDirectory(clients.doc, stores.names.tables.tenants);
    const localId = config.mode === 'local' ? await localTenantId(config.home) : undefined;
    const secrets = {
      params: openParameterStore(config, 'secrets'),
      env: config.env,
      read: () => (process.stdin.isTTY ? Promise.resolve('') : text(process.stdin)),
      ...(config.mode === 'local' ? { defaultTenantId: localId } : { requireKmsKey: true }),
    };
    const local = config.mode === 'local' ? { local: localId ? { tenantId: localId } : {} } : {};
    const webhooks = {
      mode: config.mode,
      env: config.env,
      endpoints: stores.webhooks,
      deliveries: new WebhookDeliveryStore({ tableName: stores.names.tables.webhookDeliveries, doc: clients.doc }),
      params: secrets.params,
      sqs: clients.sqs,
      queueUrl: () => stores.queues.url(webhookQueueDefinition(config.prefix).name),
      ...(localId ? { defaultTenantId: localId } : {}),
    };
    const result = await runTenantCommand(argv, { stores, directory, secrets, webhooks, ...local });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tenant: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const code = (err as { code?: string }).code;
    if (config.mode === 'local' && (code === 'ECONNREFUSED' || (err instanceof Error && /ECONNREFUSED/.test(String(err.cause ?? err.message))))) {
      process.stderr.write('tenant: cannot reach the local stack; is `npm start` running?\n');
      return 1;
    }
    throw err;
  } finally {
    clients.destroy();
  }
}

/** The tenant `npm start` created (`.outpost/local.json`), if any. */
async function localTenantId(home: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')) as { tenantId?: unknown };
    return typeof parsed.tenantId === 'string' ? parsed.tenantId : undefined;
  } catch {
    return undefined;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tenant: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
