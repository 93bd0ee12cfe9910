import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../core/errors.js';

/**
 * Tenants whose active-run counter may need a look, found without a Scan: one item per tenant in
 * the usage table under a reserved partition key. Admission marks a tenant whenever its counter
 * leaves zero, and the dispatcher marks tenants it sees in the active index; the dispatcher
 * removes a mark once the tenant's counter and active runs are both zero. So a counter left above
 * zero by a lost decrement is always found, even for a run that started and ended between two
 * of the dispatcher's passes.
 */
export class ActiveTenantMarks {
  static readonly PARTITION = '#active-tenants';

  constructor(private readonly opts: { tableName: string; doc: DynamoDBDocumentClient }) {}

  /** Every marked tenant id. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.opts.doc.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          KeyConditionExpression: 'tenantId = :pk',
          ExpressionAttributeValues: { ':pk': ActiveTenantMarks.PARTITION },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.counter === 'string') out.push(item.counter);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async mark(tenantId: string, at: string): Promise<void> {
    await this.opts.doc.send(
      new PutCommand({ TableName: this.opts.tableName, Item: { tenantId: ActiveTenantMarks.PARTITION, counter: tenantId, markedAt: at } }),
    );
  }

  /**
   * Removes a mark written at or before `before` (the start of the pass that found the tenant
   * idle): a mark admission wrote after the pass began is kept.
   */
  async unmark(tenantId: string, before: string): Promise<void> {
    try {
      await this.opts.doc.send(
        new DeleteCommand({
          TableName: this.opts.tableName,
          Key: { tenantId: ActiveTenantMarks.PARTITION, counter: tenantId },
          ConditionExpression: 'markedAt <= :before',
          ExpressionAttributeValues: { ':before': before },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
