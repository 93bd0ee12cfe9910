import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OAuthClientInformationFullSchema, type OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { z } from 'zod';
import { isConditionalCheckFailed, sha256Hex, systemClock, type Clock } from '@outpost/shared';
import { Scope } from './scopes.js';

/** A sign-in that a browser has started (the authorize request) and not yet finished. */
export const PendingRecord = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  codeChallenge: z.string(),
  scopes: z.array(Scope),
  state: z.string().optional(),
  resource: z.string(),
  /** SHA-256 of the cookie set with the form: only the browser that loaded the page can submit it. */
  csrfHash: z.string().length(64),
  expiresAt: z.number().int(),
});
export type PendingRecord = z.infer<typeof PendingRecord>;

/** What a code, an access token and a refresh token all carry. */
export const GrantRecord = z.object({
  clientId: z.string(),
  tenantId: z.string(),
  /** The API key the person signed in with: revoking it ends the sign-in. */
  keyHash: z.string().length(64),
  scopes: z.array(Scope),
  /** RFC 8707: the resource (this edge's /mcp URL) the grant is bound to. */
  resource: z.string(),
  /** Every token descending from one sign-in shares a family; reuse of a spent secret revokes it. */
  family: z.string(),
  /** Epoch milliseconds. */
  expiresAt: z.number().int(),
  /** Codes only. */
  codeChallenge: z.string().optional(),
  redirectUri: z.string().optional(),
  /** Set when a code was exchanged or a refresh token rotated: a second use is a replay. */
  usedAt: z.number().int().optional(),
  revokedAt: z.number().int().optional(),
});
export type GrantRecord = z.infer<typeof GrantRecord>;

export type GrantKind = 'code' | 'access' | 'refresh';

export interface OAuthStoreOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
  /** @default systemClock */
  clock?: Clock;
}

// DynamoDB's TTL drops an item a day after it expires; readers check expiresAt themselves.
const purgeAt = (expiresAtMs: number) => Math.floor(expiresAtMs / 1000) + 86_400;
const secretKey = (kind: GrantKind | 'pending', secret: string) => `${kind}#${sha256Hex(secret)}`;

/** The authorization server's state: one item per client, pending sign-in, code, token and family. */
export class OAuthStore {
  private readonly opts: Required<OAuthStoreOptions>;

  constructor(options: OAuthStoreOptions) {
    this.opts = { clock: systemClock, ...options };
  }

  async putClient(client: OAuthClientInformationFull): Promise<void> {
    await this.put({ pk: `client#${client.client_id}`, client });
  }

  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    const item = await this.get(`client#${clientId}`);
    return item ? OAuthClientInformationFullSchema.parse(item['client']) : undefined;
  }

  /** Stores a pending sign-in under the hash of its request id. */
  async putPending(requestId: string, record: PendingRecord): Promise<void> {
    await this.put({ pk: secretKey('pending', requestId), ...PendingRecord.parse(record), purgeAt: purgeAt(record.expiresAt) });
  }

  /** The live pending sign-in of a request id, or undefined (unknown or expired). */
  async getPending(requestId: string): Promise<PendingRecord | undefined> {
    const item = await this.get(secretKey('pending', requestId));
    if (!item) return undefined;
    const record = PendingRecord.parse(item);
    return record.expiresAt > this.now() ? record : undefined;
  }

  /** Deletes a pending sign-in; true only for the one caller that deleted it (a form posts once). */
  async takePending(requestId: string): Promise<boolean> {
    try {
      await this.opts.doc.send(
        new DeleteCommand({ TableName: this.opts.tableName, Key: { pk: secretKey('pending', requestId) }, ConditionExpression: 'attribute_exists(pk)' }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async putGrant(kind: GrantKind, secret: string, record: GrantRecord): Promise<void> {
    await this.put({ pk: secretKey(kind, secret), ...GrantRecord.parse(record), purgeAt: purgeAt(record.expiresAt) });
  }

  /** A code or token as stored (expired, used or revoked included: callers decide), or undefined. */
  async getGrant(kind: GrantKind, secret: string): Promise<GrantRecord | undefined> {
    const item = await this.get(secretKey(kind, secret));
    return item ? GrantRecord.parse(item) : undefined;
  }

  /**
   * Marks a code or refresh token used. Only the first caller gets true: the condition makes a
   * replay (two token requests racing with one code) lose, however close together they are.
   */
  async markUsed(kind: 'code' | 'refresh', secret: string): Promise<boolean> {
    try {
      await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { pk: secretKey(kind, secret) },
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':now': this.now() },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  /** Revokes one access or refresh token (no-op when unknown). */
  async revokeGrant(kind: GrantKind, secret: string): Promise<void> {
    try {
      await this.opts.doc.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { pk: secretKey(kind, secret) },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': this.now() },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  /** Revokes every token of a family, issued or yet to be (their checks read this item). */
  async revokeFamily(family: string): Promise<void> {
    const at = this.now();
    await this.put({ pk: `family#${family}`, revokedAt: at, purgeAt: purgeAt(at + 31 * 86_400_000) });
  }

  async familyRevoked(family: string): Promise<boolean> {
    return (await this.get(`family#${family}`)) !== undefined;
  }

  private now(): number {
    return this.opts.clock.now().getTime();
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.opts.doc.send(new PutCommand({ TableName: this.opts.tableName, Item: item }));
  }

  private async get(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.opts.doc.send(new GetCommand({ TableName: this.opts.tableName, Key: { pk }, ConsistentRead: true }));
    return out.Item;
  }
}
