import { TIER_NAMES, type TierName } from '../config/tiers.js';

/**
 * Every table, queue and bucket, as data. The local provisioner and the cdktf stacks both read
 * these objects, so local and cloud cannot drift.
 */
export type KeyType = 'S' | 'N';
export interface KeyAttribute {
  name: string;
  type: KeyType;
}
export interface IndexDefinition {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}
export interface TableDefinition {
  /** Logical name, used in code. */
  id: TableId;
  /** Physical name. */
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes: readonly IndexDefinition[];
  /** Epoch-seconds attribute DynamoDB expires items by (not enforced by dynalite). */
  ttlAttribute?: string;
}
export type TableId = 'runs' | 'tenants' | 'apiKeys' | 'usage' | 'idempotency' | 'workers' | 'sessions' | 'webhookEndpoints' | 'webhookDeliveries' | 'oauth';

export interface QueueDefinition {
  tier: TierName;
  name: string;
  dlqName: string;
  /** Seconds a received message stays hidden; workers extend it while a run lasts. */
  visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the DLQ. */
  maxReceiveCount: number;
  messageRetentionSeconds: number;
  dlqRetentionSeconds: number;
}

export interface BucketDefinition {
  name: string;
  /** Key prefix of every tenant's artifacts. */
  tenantPrefix: string;
}

/** Index names of the runs table. */
export const RUN_INDEX = {
  byStatus: 'byStatus',
  byAgent: 'byAgent',
  active: 'active',
  byParent: 'byParent',
  byChain: 'byChain',
  outbox: 'outbox',
} as const;

const S = (name: string): KeyAttribute => ({ name, type: 'S' });

export function tableDefinitions(prefix: string): Record<TableId, TableDefinition> {
  return {
    runs: {
      id: 'runs',
      name: `${prefix}-runs`,
      partitionKey: S('tenantId'),
      sortKey: S('runId'),
      indexes: [
        { name: RUN_INDEX.byStatus, partitionKey: S('tenantStatus'), sortKey: S('runId') },
        { name: RUN_INDEX.byAgent, partitionKey: S('tenantAgent'), sortKey: S('runId') },
        // Sparse: activePk is set only while queued/running (`{status}#{tier}`), activeSk is the
        // queue time or the lease expiry, so the reaper finds stale runs with one Query per tier.
        { name: RUN_INDEX.active, partitionKey: S('activePk'), sortKey: S('activeSk') },
        // Follow-ups, sparse (only runs with a parent): a run's children, and a chain's runs.
        // The keys are `tenantId#runId`, so one tenant can never read another's chain.
        { name: RUN_INDEX.byParent, partitionKey: S('parentKey'), sortKey: S('createdAt') },
        { name: RUN_INDEX.byChain, partitionKey: S('chainKey'), sortKey: S('createdAt') },
        // Sparse: set by the same write as a webhook event, cleared once the relay queued it (webhooks/outbox.ts).
        { name: RUN_INDEX.outbox, partitionKey: S('outboxPk'), sortKey: S('outboxSk') },
      ],
      ttlAttribute: 'expiresAt',
    },
    tenants: { id: 'tenants', name: `${prefix}-tenants`, partitionKey: S('tenantId'), indexes: [] },
    apiKeys: {
      id: 'apiKeys',
      name: `${prefix}-api-keys`,
      partitionKey: S('keyHash'),
      indexes: [{ name: 'byTenant', partitionKey: S('tenantId'), sortKey: S('createdAt') }],
    },
    usage: {
      id: 'usage',
      name: `${prefix}-usage`,
      partitionKey: S('tenantId'),
      sortKey: S('counter'),
      indexes: [],
      ttlAttribute: 'expiresAt',
    },
    idempotency: {
      id: 'idempotency',
      name: `${prefix}-idempotency`,
      partitionKey: S('tenantId'),
      sortKey: S('key'),
      indexes: [],
      ttlAttribute: 'expiresAt',
    },
    // Dashboard sign-ins, keyed by the SHA-256 of the cookie value; byTenant serves `sessions revoke --all`.
    sessions: {
      id: 'sessions',
      name: `${prefix}-sessions`,
      partitionKey: S('sessionHash'),
      indexes: [{ name: 'byTenant', partitionKey: S('tenantId'), sortKey: S('createdAt') }],
      ttlAttribute: 'purgeAt',
    },
    // MCP authorization (OAuth 2.1): clients, pending sign-ins, codes and tokens, keyed by
    // `{kind}#{id or SHA-256 of the secret}`; nothing secret is stored in the clear.
    oauth: { id: 'oauth', name: `${prefix}-oauth`, partitionKey: S('pk'), indexes: [], ttlAttribute: 'purgeAt' },
    workers: {
      id: 'workers',
      name: `${prefix}-workers`,
      partitionKey: S('tier'),
      sortKey: S('workerId'),
      indexes: [],
      ttlAttribute: 'expiresAt',
    },
    // Webhooks (issue 14): endpoints per tenant; every delivery attempt per endpoint.
    webhookEndpoints: { id: 'webhookEndpoints', name: `${prefix}-webhook-endpoints`, partitionKey: S('tenantId'), sortKey: S('endpointId'), indexes: [] },
    webhookDeliveries: {
      id: 'webhookDeliveries',
      name: `${prefix}-webhook-deliveries`,
      partitionKey: S('endpointKey'),
      sortKey: S('deliveryKey'),
      indexes: [],
      ttlAttribute: 'expiresAt',
    },
  };
}

export function queueDefinition(prefix: string, tier: TierName): QueueDefinition {
  return {
    tier,
    name: `${prefix}-${tier}-jobs`,
    dlqName: `${prefix}-${tier}-dlq`,
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 6,
    messageRetentionSeconds: 4 * 24 * 3600,
    dlqRetentionSeconds: 14 * 24 * 3600,
  };
}

export function queueDefinitions(prefix: string): QueueDefinition[] {
  return TIER_NAMES.map((tier) => queueDefinition(prefix, tier));
}

/** The webhook deliveries queue (no tier): the relay and the notifier's retries send to it. */
export function webhookQueueDefinition(prefix: string): Omit<QueueDefinition, 'tier'> {
  return {
    name: `${prefix}-webhooks`,
    dlqName: `${prefix}-webhooks-dlq`,
    // One attempt takes at most the 10 s send timeout plus a few writes.
    visibilityTimeoutSeconds: 60,
    // Delivery failures are retried as new messages; receives count only crashes of the notifier.
    maxReceiveCount: 5,
    messageRetentionSeconds: 4 * 24 * 3600,
    dlqRetentionSeconds: 14 * 24 * 3600,
  };
}

export function bucketDefinition(prefix: string): BucketDefinition {
  return { name: `${prefix}-artifacts`, tenantPrefix: 'tenants/' };
}

/** Resolved physical names, for code that needs just a name. */
export interface ResourceNames {
  tables: Record<TableId, string>;
  queue(tier: TierName): string;
  dlq(tier: TierName): string;
  bucket: string;
}

export function resourceNames(prefix: string): ResourceNames {
  const defs = tableDefinitions(prefix);
  const tables = Object.fromEntries(Object.values(defs).map((d) => [d.id, d.name])) as Record<TableId, string>;
  return {
    tables,
    queue: (tier) => queueDefinition(prefix, tier).name,
    dlq: (tier) => queueDefinition(prefix, tier).dlqName,
    bucket: bucketDefinition(prefix).name,
  };
}

/** S3 keys of a run's artifacts: `tenants/{tenantId}/runs/{runId}/…`. */
export const artifactKeys = {
  runPrefix: (tenantId: string, runId: string) => `tenants/${tenantId}/runs/${runId}/`,
  logChunk: (tenantId: string, runId: string, seq: number) =>
    `tenants/${tenantId}/runs/${runId}/log/${String(seq).padStart(6, '0')}.txt`,
  logChunkPrefix: (tenantId: string, runId: string) => `tenants/${tenantId}/runs/${runId}/log/`,
  artifact: (tenantId: string, runId: string, name: string) => `tenants/${tenantId}/runs/${runId}/${name}`,
};
