import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { WorkerHeartbeat } from '../schemas/worker-heartbeat.js';
import { TierName } from '../config/tiers.js';

/** What the scaler last saw and decided for a tier; written by the dispatcher each tick. */
export const FleetState = z.object({
  tier: TierName,
  desired: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
  min: z.number().int().nonnegative(),
  max: z.number().int().nonnegative(),
  source: z.enum(['ecs', 'local']),
  updatedAt: z.string(),
});
export type FleetState = z.infer<typeof FleetState>;

// The fleet item shares the workers table; its sort key cannot collide with `wkr_…` ids.
const FLEET_ITEM = '#fleet';

export interface WorkerRegistryOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
}

/** Worker heartbeats (one item per live worker, expiring when it dies) and per-tier fleet state. */
export class WorkerRegistry {
  private readonly opts: Required<WorkerRegistryOptions>;

  constructor(options: WorkerRegistryOptions) {
    this.opts = { clock: systemClock, ...options };
  }

  /** Writes a heartbeat that expires `ttlSeconds` from now unless renewed. */
  async heartbeat(hb: Omit<WorkerHeartbeat, 'updatedAt' | 'expiresAt'>, ttlSeconds: number): Promise<WorkerHeartbeat> {
    const now = this.opts.clock.now();
    const item = WorkerHeartbeat.parse({ ...hb, updatedAt: now.toISOString(), expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds });
    await this.opts.doc.send(new PutCommand({ TableName: this.opts.tableName, Item: item }));
    return item;
  }

  /** Removes a worker's heartbeat (clean shutdown). */
  async remove(tier: TierName, workerId: string): Promise<void> {
    await this.opts.doc.send(new DeleteCommand({ TableName: this.opts.tableName, Key: { tier, workerId } }));
  }

  /** Workers of a tier whose heartbeat has not expired (dynalite never deletes expired items). */
  async listLive(tier: TierName): Promise<WorkerHeartbeat[]> {
    const nowSec = Math.floor(this.opts.clock.now().getTime() / 1000);
    const out: WorkerHeartbeat[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.opts.doc.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          KeyConditionExpression: 'tier = :tier AND begins_with(workerId, :wkr)',
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':tier': tier, ':wkr': 'wkr_', ':now': nowSec },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(WorkerHeartbeat.parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async putFleetState(state: Omit<FleetState, 'updatedAt'>): Promise<FleetState> {
    const item = FleetState.parse({ ...state, updatedAt: this.opts.clock.now().toISOString() });
    await this.opts.doc.send(new PutCommand({ TableName: this.opts.tableName, Item: { ...item, workerId: FLEET_ITEM } }));
    return item;
  }

  async getFleetState(tier: TierName): Promise<FleetState | undefined> {
    const out = await this.opts.doc.send(new GetCommand({ TableName: this.opts.tableName, Key: { tier, workerId: FLEET_ITEM } }));
    if (!out.Item) return undefined;
    const { workerId, ...rest } = out.Item;
    void workerId;
    return FleetState.parse(rest);
  }
}
