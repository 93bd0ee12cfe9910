import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { isConditionalCheckFailed } from '../core/errors.js';
import { newToken, sha256Hex } from '../core/ids.js';

/** A dashboard session as stored: only the SHA-256 of the cookie value, never the value. */
export const SessionRecord = z.object({
  sessionHash: z.string().length(64),
  tenantId: z.string(),
  /** The hash of the API key that signed in (its id): revoking the key ends the session. */
  keyHash: z.string().length(64),
  /** Sent back in X-CSRF-Token on every state-changing request. */
  csrfToken: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().optional(),
  /** Epoch seconds: DynamoDB TTL, a day after expiry (readers check expiresAt themselves). */
  purgeAt: z.number().int(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

export interface SessionStoreOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
}

/** Dashboard sessions: created at sign-in, looked up by cookie, revoked one by one or per tenant. */
export class SessionStore {
  private readonly opts: Required<SessionStoreOptions>;

  constructor(options: SessionStoreOptions) {
    this.opts = { clock: systemClock, ...options };
  }

  /** A new session; the cookie value is returned once and only its hash is stored. */
  async create(input: { tenantId: string; keyHash: string; ttlSeconds: number }): Promise<{ cookie: string; record: SessionRecord }> {
    const cookie = newToken(32);
    const now = this.opts.clock.now();
    const expires = new Date(now.getTime() + input.ttlSeconds * 1000);
    const record = SessionRecord.parse({
      sessionHash: sha256Hex(cookie),
      tenantId: input.tenantId,
      keyHash: input.keyHash,
      csrfToken: newToken(24),
      createdAt: now.toISOString(),
      expiresAt: expires.toISOString(),
      purgeAt: Math.floor(expires.getTime() / 1000) + 86_400,
    });
    await this.opts.doc.send(
      new PutCommand({ TableName: this.opts.tableName, Item: record, ConditionExpression: 'attribute_not_exists(sessionHash)' }),
    );
    return { cookie, record };
  }

  /** The live session of a cookie value, or undefined (unknown, expired or revoked). */
  async getLive(cookie: string): Promise<SessionRecord | undefined> {
    const out = await this.opts.doc.send(
      new GetCommand({ TableName: this.opts.tableName, Key: { sessionHash: sha256Hex(cookie) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const record = SessionRecord.parse(out.Item);
    if (record.revokedAt || Date.parse(record.expiresAt) <= this.opts.clock.now().getTime()) return undefined;
    return record;
  }

  /** Revokes one session by its hash; false when there is none. */
  async revoke(sessionHash: string): Promise<boolean> {
    try {
      await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { sessionHash },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(sessionHash)',
          ExpressionAttributeValues: { ':now': this.opts.clock.now().toISOString() },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** A tenant's sessions, newest first (byTenant index). */
  async listForTenant(tenantId: string): Promise<SessionRecord[]> {
    const records: SessionRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.opts.doc.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          IndexName: 'byTenant',
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': tenantId },
          ScanIndexForward: false,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) records.push(SessionRecord.parse(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return records;
  }

  /** Revokes every live session of a tenant; returns how many it revoked. */
  async revokeAllForTenant(tenantId: string): Promise<number> {
    const now = this.opts.clock.now().getTime();
    const live = (await this.listForTenant(tenantId)).filter((s) => !s.revokedAt && Date.parse(s.expiresAt) > now);
    for (const s of live) await this.revoke(s.sessionHash);
    return live.length;
  }
}

/** The stored hash of a cookie value. */
export function sessionHash(cookie: string): string {
  return sha256Hex(cookie);
}
