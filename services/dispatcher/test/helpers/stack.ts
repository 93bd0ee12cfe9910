import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { openStores, parseJobMessage, type Clock, type Stores, type TierName } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';

export interface Harness {
  home: string;
  stack: TestStack;
  stores: Stores;
  close(): Promise<void>;
}

/** A fresh emulator stack under a unique prefix and a temp OUTPOST_HOME. */
export async function openHarness(clock?: Clock): Promise<Harness> {
  const home = await mkdtemp(path.join(tmpdir(), 'outpost-dispatcher-'));
  // Workers put their workspaces under home/work and refuse to start unless the unprivileged
  // agent user can reach it; mkdtemp makes 0700 directories.
  await chmod(home, 0o755);
  const stack = await startTestStack({ home });
  const stores = openStores(stack.config, stack.clients, clock);
  return {
    home,
    stack,
    stores,
    async close() {
      await stack.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Every message now visible in a queue (received and left to become visible again later). */
export async function receiveAll(h: Harness, queueUrl: string): Promise<{ runId: string | undefined; body: string | undefined }[]> {
  const out: { runId: string | undefined; body: string | undefined }[] = [];
  for (;;) {
    const page = await h.stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }),
    );
    const msgs = page.Messages ?? [];
    for (const m of msgs) out.push({ runId: parseJobMessage(m.Body)?.runId, body: m.Body });
    if (msgs.length === 0) return out;
  }
}

export async function queueDepth(h: Harness, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await h.stack.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

export async function purge(h: Harness, tier: TierName): Promise<void> {
  await h.stack.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: await h.stores.queues.jobsUrl(tier) }));
}
