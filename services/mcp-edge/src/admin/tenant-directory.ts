import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Tenant } from '@outpost/shared';

// One directory item in the tenants table lists every tenant id the admin command created, so
// `tenant list` is a GetItem plus a BatchGetItem, never a Scan. The key cannot collide with a
// tenant (`ten_…`). Bounded by DynamoDB's 400 KB item size: ~12,000 tenants, far beyond what this
// command is for; a larger deployment would add a GSI on a constant attribute instead.
const DIRECTORY_ID = '#directory';

export class TenantDirectory {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records a tenant id (idempotent: a string-set ADD). */
  async add(tenantId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { tenantId: DIRECTORY_ID },
        UpdateExpression: 'ADD tenantIds :id',
        ExpressionAttributeValues: { ':id': new Set([tenantId]) },
      }),
    );
  }

  async ids(): Promise<string[]> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { tenantId: DIRECTORY_ID }, ConsistentRead: true }));
    const set = out.Item?.tenantIds as Set<string> | undefined;
    return set ? [...set].sort() : [];
  }

  /** The tenants with these ids (missing ones are skipped), in id order. */
  async load(ids: readonly string[]): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map((tenantId) => ({ tenantId }));
      while (keys && keys.length > 0) {
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) tenants.push(Tenant.parse(item));
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return tenants.sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1));
  }
}
