import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startTestStack, type TestStack } from '@outpost/testkit';
import {
  bucketDefinition,
  newRunId,
  openStores,
  parseJobMessage,
  queueDefinitions,
  sendJob,
  silentLogger,
  tableDefinitions,
  TIER_NAMES,
  type Stores,
} from '@outpost/shared';
import { provisionAll, requeueActiveRuns } from '../src/local/index.js';

let home: string;
let stack: TestStack;
let stores: Stores;

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'outpost-prov-'));
  stack = await startTestStack({ home });
  stores = openStores(stack.config, stack.clients);
});
afterAll(async () => {
  await stack?.stop();
  await rm(home, { recursive: true, force: true });
});

async function receiveAll(url: string): Promise<{ runId: string; receipt: string }[]> {
  const out = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30 }));
  return (out.Messages ?? []).map((m) => ({ runId: parseJobMessage(m.Body)!.runId, receipt: m.ReceiptHandle! }));
}

describe('local provisioning', () => {
  it('creates every table (with its indexes), queue (with redrive to its DLQ) and the bucket', async () => {
    const prefix = stack.config.prefix;
    const tables = (await stack.clients.dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
    for (const def of Object.values(tableDefinitions(prefix))) {
      expect(tables).toContain(def.name);
      const d = await stack.clients.dynamo.send(new DescribeTableCommand({ TableName: def.name }));
      expect((d.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort()).toEqual(def.indexes.map((i) => i.name).sort());
    }
    for (const def of queueDefinitions(prefix)) {
      const url = await stores.queues.jobsUrl(def.tier);
      const attrs = await stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
      const redrive = JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: number };
      expect(redrive.deadLetterTargetArn).toContain(def.dlqName);
      expect(Number(redrive.maxReceiveCount)).toBe(def.maxReceiveCount);
      expect(attrs.Attributes?.VisibilityTimeout).toBe(String(def.visibilityTimeoutSeconds));
    }
    await stack.clients.s3.send(new HeadBucketCommand({ Bucket: bucketDefinition(prefix).name }));
  });

  it('running provisioning again is no error and creates nothing', async () => {
    const again = await provisionAll(stack.clients, stack.config.prefix);
    expect(again.created).toEqual([]);
    expect(again.existing.length).toBeGreaterThan(0);
  });

  it('sendJob puts a valid job message on the tier’s queue', async () => {
    const runId = newRunId();
    await sendJob(stack.clients.sqs, stores.queues, { tier: 'pro', tenantId: 'ten_x', runId });
    const url = await stores.queues.jobsUrl('pro');
    const got = await receiveAll(url);
    expect(got.map((m) => m.runId)).toEqual([runId]);
    for (const m of got) await stack.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.receipt }));
  });

  it('requeueActiveRuns sends one job for every queued or running run and none for finished ones', async () => {
    const tenantId = 'ten_requeue';
    const base = { tenantId, agent: 'shell' as const, repo: 'o/r', task: 't', taskBytes: 1, timeoutSeconds: 60, maxAttempts: 3 };
    const queued = await stores.runs.create({ ...base, runId: newRunId(), tier: 'free' });
    const running = await stores.runs.create({ ...base, runId: newRunId(), tier: 'enterprise' });
    await stores.runs.acquireLease({ tenantId, runId: running.runId, tier: 'enterprise', workerId: 'w', leaseMs: 60_000 });
    const cancelled = await stores.runs.create({ ...base, runId: newRunId(), tier: 'free' });
    await stores.runs.cancelQueued({ tenantId, runId: cancelled.runId });
    const sent = await requeueActiveRuns({ runs: stores.runs, clients: stack.clients, queues: stores.queues, logger: silentLogger });
    expect(sent).toBe(2);
    const byTier: Record<string, string[]> = {};
    for (const tier of TIER_NAMES) byTier[tier] = (await receiveAll(await stores.queues.jobsUrl(tier))).map((m) => m.runId);
    expect(byTier).toEqual({ free: [queued.runId], pro: [], enterprise: [running.runId] });
  });
});
