import type { ServerResponse } from 'node:http';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients, Logger, Stores } from '@outpost/shared';
import { sendJson } from './answers.js';

/** How long one dependency may take to answer before it counts as unreachable. */
const READY_TIMEOUT_MS = 2_000;

export interface ReadinessDeps {
  clients: Pick<AwsClients, 'doc' | 'sqs'>;
  stores: Pick<Stores, 'names' | 'queues'>;
  logger: Logger;
  /** True once the edge is stopping: it answers 503 so the load balancer drains it. */
  stopping: () => boolean;
}

/**
 * `/readyz`: one cheap read of DynamoDB (a tenant that never exists) and of SQS (the free tier's
 * queue attributes); 200 when both answer in time and the edge is not stopping, else 503, with
 * each dependency's state.
 */
export async function answerReadiness(deps: ReadinessDeps, res: ServerResponse): Promise<void> {
  const { clients, stores, logger } = deps;
  const check = async (name: string, probe: () => Promise<unknown>) => {
    try {
      await withTimeout(probe(), READY_TIMEOUT_MS);
      return [name, 'ok'] as const;
    } catch (err) {
      logger.warn({ err, dependency: name }, 'readiness check failed');
      return [name, 'unreachable'] as const;
    }
  };
  const results = Object.fromEntries(
    await Promise.all([
      check('dynamodb', () => clients.doc.send(new GetCommand({ TableName: stores.names.tables.tenants, Key: { tenantId: '#readyz' } }))),
      check('sqs', async () =>
        clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: await stores.queues.jobsUrl('free'), AttributeNames: ['QueueArn'] })),
      ),
    ]),
  );
  const ready = Object.values(results).every((v) => v === 'ok') && !deps.stopping();
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', ...results });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
