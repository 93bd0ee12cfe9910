import type { AwsClients } from '../aws/aws-clients.js';
import type { Clock } from '../core/clock.js';
import type { BaseConfig } from '../config/config.js';
import { resourceNames, type ResourceNames } from '../aws/resources.js';
import { RunChains } from './run-chains.js';
import { RunStore } from './run-store.js';
import { SessionStore } from './session-store.js';
import { TenantStore } from './tenant-store.js';
import { UsageStore } from './usage-store.js';
import { WorkerRegistry } from './worker-registry.js';
import { QueueDirectory } from '../aws/queues.js';
import { WebhookEndpointStore } from '../webhooks/endpoint-store.js';

export interface Stores {
  names: ResourceNames;
  runs: RunStore;
  /** Follow-up chains: children and members, by index. */
  chains: RunChains;
  tenants: TenantStore;
  usage: UsageStore;
  sessions: SessionStore;
  workers: WorkerRegistry;
  queues: QueueDirectory;
  /** Tenants' webhook endpoints (fleet_status lists them, the relay fans out to them). */
  webhooks: WebhookEndpointStore;
}

/**
 * Every store over one set of clients, wired the same way in every service: a run that ends
 * (whoever ends it) gives its tenant's active slot back, and keeps its tier's retention
 * (`config.tiers`, else the default table).
 */
export function openStores(
  config: Pick<BaseConfig, 'prefix'> & Partial<Pick<BaseConfig, 'tiers'>>,
  clients: Pick<AwsClients, 'doc' | 'sqs'>,
  clock?: Clock,
): Stores {
  const names = resourceNames(config.prefix);
  const withClock = clock ? { clock } : {};
  const usage = new UsageStore({ tableName: names.tables.usage, doc: clients.doc, ...withClock });
  return {
    names,
    usage,
    runs: new RunStore({
      tableName: names.tables.runs,
      doc: clients.doc,
      ...withClock,
      ...(config.tiers ? { tiers: config.tiers } : {}),
      onRunEnded: (run) => usage.releaseActive(run.tenantId),
    }),
    chains: new RunChains({ tableName: names.tables.runs, doc: clients.doc }),
    tenants: new TenantStore({ tenantsTable: names.tables.tenants, apiKeysTable: names.tables.apiKeys, doc: clients.doc, ...withClock }),
    sessions: new SessionStore({ tableName: names.tables.sessions, doc: clients.doc, ...withClock }),
    workers: new WorkerRegistry({ tableName: names.tables.workers, doc: clients.doc, ...withClock }),
    queues: new QueueDirectory(clients.sqs, config.prefix),
    webhooks: new WebhookEndpointStore({ tableName: names.tables.webhookEndpoints, doc: clients.doc, ...withClock }),
  };
}
