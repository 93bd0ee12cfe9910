import { DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  parseJobMessage,
  runLogger,
  RunNotFoundError,
  TransitionRefusedError,
  type Logger,
  type Stores,
  type TierName,
  type TierTable,
} from '@outpost/shared';

export interface DeadLetterDeps {
  sqs: SQSClient;
  stores: Pick<Stores, 'runs' | 'queues'>;
  tiers: TierTable;
  logger: Logger;
  /** Receive calls per tier per tick (10 messages each). @default 10 */
  maxBatches?: number;
}

export interface DeadLetterReport {
  failed: number;
  /** Runs already settled (or held by a live worker): nothing to do but delete the message. */
  settled: number;
  poison: number;
}

/**
 * Drains a tier's DLQ: each run named there becomes failed `dead_lettered` (a conditional write
 * that refuses runs already ended or leased by a live worker), then the message is deleted.
 * Unparseable bodies are deleted too: nothing could ever process them. A message is deleted only
 * after its run is settled, so a crash in between leaves it for the next tick (safe to repeat).
 */
export async function drainDeadLetters(deps: DeadLetterDeps, tier: TierName): Promise<DeadLetterReport> {
  const report: DeadLetterReport = { failed: 0, settled: 0, poison: 0 };
  const queueUrl = await deps.stores.queues.dlqUrl(tier);
  for (let batch = 0; batch < (deps.maxBatches ?? 10); batch++) {
    const out = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const messages = out.Messages ?? [];
    for (const message of messages) {
      await settle(deps, tier, message, report);
      if (message.ReceiptHandle) await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    if (messages.length < 10) break;
  }
  return report;
}

async function settle(deps: DeadLetterDeps, tier: TierName, message: Message, report: DeadLetterReport): Promise<void> {
  const job = parseJobMessage(message.Body);
  if (!job) {
    report.poison++;
    deps.logger.warn({ tier, messageId: message.MessageId, body: message.Body?.slice(0, 200) }, 'deleted a dead letter that is not a job message');
    return;
  }
  const log = runLogger(deps.logger, job);
  if (job.kind !== 'run') {
    // A promotion that kept failing: the run itself succeeded; the promotion record says what happened.
    report.settled++;
    log.warn({ kind: job.kind }, 'deleted a dead-lettered promotion job');
    return;
  }
  // The DLQ's receive count includes our own receive; the rest are deliveries to workers.
  const received = Number(message.Attributes?.ApproximateReceiveCount ?? 0);
  try {
    const run = await deps.stores.runs.failDeadLettered({
      tenantId: job.tenantId,
      runId: job.runId,
      ...(received > 1 ? { receiveCount: received - 1 } : {}),
    });
    report.failed++;
    log.warn({ attempt: run.attempt, deliveries: received > 1 ? received - 1 : undefined }, 'run dead-lettered; marked failed');
  } catch (err) {
    if (err instanceof TransitionRefusedError || err instanceof RunNotFoundError) {
      report.settled++;
      log.info({ status: err instanceof TransitionRefusedError ? err.current.status : 'missing' }, 'dead letter for a run that needs nothing');
      return;
    }
    throw err;
  }
}
