import { QueueDirectory, RunStore, sendJob, TIER_NAMES, type AwsClients, type Logger } from '@outpost/shared';

/**
 * Local SQS lives in memory, DynamoDB on disk: after a restart, runs still queued or running
 * have no message. Send one for each; the lease makes a duplicate harmless.
 */
export async function requeueActiveRuns(deps: { runs: RunStore; clients: Pick<AwsClients, 'sqs'>; queues: QueueDirectory; logger: Logger }): Promise<number> {
  let sent = 0;
  for (const tier of TIER_NAMES) {
    for (const status of ['queued', 'running'] as const) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await deps.runs.listActive({ tier, status, ...(startKey ? { startKey } : {}) });
        for (const run of page.runs) {
          await sendJob(deps.clients.sqs, deps.queues, { tier, tenantId: run.tenantId, runId: run.runId });
          deps.logger.info({ tenantId: run.tenantId, runId: run.runId, status }, 'sent the job of a run again after restart');
          sent++;
        }
        startKey = page.lastKey;
      } while (startKey);
    }
  }
  return sent;
}
