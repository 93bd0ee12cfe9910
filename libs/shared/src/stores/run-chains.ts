import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RUN_INDEX } from '../aws/resources.js';
import { RunRecord } from '../schemas/run.js';

/** Where a new run sits in a chain: set for follow-ups (a parent) and retries (the run repeated). */
export interface ChainLink {
  parentRunId?: string;
  chainRootId?: string;
  chainDepth?: number;
  retryOfRunId?: string;
}

/**
 * Index attributes of a chained run. Both keys start with the tenant, so a Query on them can only
 * ever return that tenant's runs, whatever run id a caller names.
 */
export function chainKeys(tenantId: string, link: ChainLink): { parentKey?: string; chainKey?: string } {
  return {
    ...(link.parentRunId ? { parentKey: `${tenantId}#${link.parentRunId}` } : {}),
    ...(link.chainRootId ? { chainKey: `${tenantId}#${link.chainRootId}` } : {}),
  };
}

/** The link of a follow-up of `parent`: one level deeper, same root. */
export function followUpLink(parent: RunRecord): Required<Pick<ChainLink, 'parentRunId' | 'chainRootId' | 'chainDepth'>> {
  return { parentRunId: parent.runId, chainRootId: chainRootOf(parent), chainDepth: (parent.chainDepth ?? 0) + 1 };
}

/** The link of a retry of `run`: the same place in the chain (same parent), and what it repeats. */
export function retryLink(run: RunRecord): ChainLink {
  return {
    retryOfRunId: run.runId,
    ...(run.parentRunId ? { parentRunId: run.parentRunId } : {}),
    ...(run.chainRootId ? { chainRootId: run.chainRootId } : {}),
    ...(run.chainDepth !== undefined ? { chainDepth: run.chainDepth } : {}),
  };
}

/** The first run of the chain `run` belongs to (itself for a run with no parent). */
export function chainRootOf(run: RunRecord): string {
  return run.chainRootId ?? run.runId;
}

export interface RunChainsOptions {
  tableName: string;
  doc: DynamoDBDocumentClient;
}

/** Chain queries on the runs table's sparse byParent and byChain indexes (writes stay in RunStore). */
export class RunChains {
  private readonly table: string;
  private readonly doc: DynamoDBDocumentClient;

  constructor(options: RunChainsOptions) {
    this.table = options.tableName;
    this.doc = options.doc;
  }

  /** The runs that continue `runId` (follow-ups and their retries), oldest first. */
  async children(tenantId: string, runId: string, limit = 100): Promise<RunRecord[]> {
    return this.query(RUN_INDEX.byParent, 'parentKey', `${tenantId}#${runId}`, limit);
  }

  /** Every run after the root of chain `rootId`, oldest first (the root itself is not in the index). */
  async members(tenantId: string, rootId: string, limit = 100): Promise<RunRecord[]> {
    return this.query(RUN_INDEX.byChain, 'chainKey', `${tenantId}#${rootId}`, limit);
  }

  private async query(index: string, attr: string, key: string, limit: number): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index,
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': attr },
          ExpressionAttributeValues: { ':k': key },
          ScanIndexForward: true,
          Limit: limit - runs.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) runs.push(RunRecord.parse(item));
      start = out.LastEvaluatedKey;
    } while (start && runs.length < limit);
    return runs;
  }
}
