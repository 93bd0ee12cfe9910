import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDirectory, TierName } from '@outpost/shared';

/** Messages of a tier's jobs queue: waiting (visible) and being worked on (in flight). */
export interface Backlog {
  visible: number;
  inFlight: number;
  total: number;
}

/** Reads a tier's backlog from the queue attributes (approximate, as SQS reports them). */
export async function readBacklog(sqs: SQSClient, queues: QueueDirectory, tier: TierName): Promise<Backlog> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queues.jobsUrl(tier),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const visible = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) || 0;
  const inFlight = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) || 0;
  return { visible, inFlight, total: visible + inFlight };
}
