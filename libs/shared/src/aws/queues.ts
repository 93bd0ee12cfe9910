import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueDefinition } from './resources.js';
import { JobMessage } from '../schemas/job-message.js';
import type { TierName } from '../config/tiers.js';
import { traceAttributes } from '../telemetry/job-trace.js';

/** Resolves and caches queue URLs by name (GetQueueUrl once per name per process). */
export class QueueDirectory {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly prefix: string,
  ) {}

  jobsUrl(tier: TierName): Promise<string> {
    return this.url(queueDefinition(this.prefix, tier).name);
  }

  dlqUrl(tier: TierName): Promise<string> {
    return this.url(queueDefinition(this.prefix, tier).dlqName);
  }

  url(name: string): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: name })).then((out) => {
        if (!out.QueueUrl) throw new Error(`queue ${name} has no URL`);
        return out.QueueUrl;
      });
      url.catch(() => this.urls.delete(name)); // do not cache a failure
      this.urls.set(name, url);
    }
    return url;
  }
}

/**
 * Sends a job message for a run to its tier's queue. Grouped by tenant (SQS fair queues). The
 * trace context travels in a message attribute: `traceparent` when given (a re-send continuing the
 * run's stored trace), else the active span's.
 */
export async function sendJob(
  sqs: SQSClient,
  queues: QueueDirectory,
  job: { tier: TierName; tenantId: string; runId: string; kind?: JobMessage['kind']; delaySeconds?: number; traceparent?: string },
): Promise<string | undefined> {
  const attributes = traceAttributes(job.traceparent);
  const body: JobMessage = JobMessage.parse({ v: 1, kind: job.kind ?? 'run', tenantId: job.tenantId, runId: job.runId });
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: await queues.jobsUrl(job.tier),
      MessageBody: JSON.stringify(body),
      MessageGroupId: job.tenantId,
      ...(attributes ? { MessageAttributes: attributes } : {}),
      ...(job.delaySeconds ? { DelaySeconds: job.delaySeconds } : {}),
    }),
  );
  return out.MessageId;
}
