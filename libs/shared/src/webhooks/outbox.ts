import { createHash } from 'node:crypto';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isConditionalCheckFailed } from '../core/errors.js';
import { RUN_INDEX } from '../aws/resources.js';
import { RunRecord } from '../schemas/run.js';
import { WebhookEventType } from './events.js';

/** Shards of the sparse outbox index, so one hot partition never holds every pending event. */
export const OUTBOX_SHARDS = 4;

function shardOf(runId: string): string {
  return String(createHash('sha256').update(runId).digest()[0]! % OUTBOX_SHARDS);
}

/**
 * Adds an outbox mark to a run-store UpdateExpression, so the event is written by the very
 * UpdateItem that makes the transition (dynalite has no transactions; one item needs none):
 * `outboxPk`/`outboxSk` put the run in the sparse `outbox` index, `outboxEvents` (a string set,
 * ADD so an earlier undelivered event is kept) holds `event@time` entries. A new mark moves
 * `outboxSk`, so a relay that read the old one cannot clear the new event.
 */
export function withOutboxMark(
  update: string,
  values: Record<string, unknown>,
  mark: { runId: string; event: WebhookEventType; at: string },
): { update: string; values: Record<string, unknown> } {
  if (!update.startsWith('SET ')) throw new Error('withOutboxMark needs an update that starts with SET');
  return {
    update: `${update.replace(/^SET /, 'SET outboxPk = :obPk, outboxSk = :obSk, ')} ADD outboxEvents :obEv`,
    values: { ...values, ':obPk': shardOf(mark.runId), ':obSk': `${mark.at}#${mark.runId}`, ':obEv': new Set([`${mark.event}@${mark.at}`]) },
  };
}

/** `event@time`; anything else (a future event type, a hand edit) is skipped, never blocks the relay. */
function parseEntry(entry: string): { event: WebhookEventType; at: string } | undefined {
  const at = entry.indexOf('@');
  const event = WebhookEventType.safeParse(entry.slice(0, at));
  return at > 0 && event.success ? { event: event.data, at: entry.slice(at + 1) } : undefined;
}

/** A run item with its pending events, as the outbox index returns it. */
export const OutboxItem = z.object({
  outboxSk: z.string(),
  outboxEvents: z.set(z.string()).transform((set) => [...set].map(parseEntry).filter((e) => e !== undefined)),
});
export interface PendingEvents {
  run: RunRecord;
  outboxSk: string;
  events: { event: WebhookEventType; at: string }[];
}

/** The relay's view of the runs table: the pending events (sparse index) and clearing them. */
export class OutboxStore {
  constructor(private readonly opts: { tableName: string; doc: DynamoDBDocumentClient }) {}

  /** Oldest pending events of one shard. */
  async pending(shard: number, limit = 25): Promise<PendingEvents[]> {
    const out = await this.opts.doc.send(
      new QueryCommand({
        TableName: this.opts.tableName,
        IndexName: RUN_INDEX.outbox,
        KeyConditionExpression: 'outboxPk = :pk',
        ExpressionAttributeValues: { ':pk': String(shard) },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const ob = OutboxItem.parse(item);
      return { run: RunRecord.parse(item), outboxSk: ob.outboxSk, events: ob.outboxEvents };
    });
  }

  /** Removes the mark if it is still the one the caller relayed; false when a newer event arrived meanwhile. */
  async clear(tenantId: string, runId: string, observedSk: string): Promise<boolean> {
    try {
      await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { tenantId, runId },
          UpdateExpression: 'REMOVE outboxPk, outboxSk, outboxEvents',
          ConditionExpression: 'outboxSk = :observed',
          ExpressionAttributeValues: { ':observed': observedSk },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
