import { beforeAll, describe, expect, it } from '@jest/globals';
import { TIER_NAMES, webhookQueueDefinition } from '@outpost/shared';
import type { Statement } from '../src/stacks/iam.js';
import { synthStack, type Synthesized } from './helpers/synth.js';

const PREFIX = 'outpost-test';
let tf: Synthesized;
beforeAll(() => {
  tf = synthStack({ env: 'test', region: 'eu-west-1', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', domain: 'outpost.example.com' }).synthesized;
});

function statementsOf(policyName: string): Statement[] {
  const hit = Object.values(tf.all('aws_iam_role_policy')).find((p) => p.name === policyName);
  if (!hit) throw new Error(`no policy ${policyName}`);
  return (JSON.parse(hit.policy as string) as { Statement: Statement[] }).Statement;
}

describe('AWS stack: webhooks', () => {
  const def = webhookQueueDefinition(PREFIX);

  it('has the webhooks queue with a DLQ, and alarms on both', () => {
    const queue = tf.find('aws_sqs_queue', 'name', def.name).body;
    const redrive = JSON.parse(queue.redrive_policy as string) as { deadLetterTargetArn: string; maxReceiveCount: number };
    expect(tf.deref(redrive.deadLetterTargetArn).body.name).toBe(def.dlqName);
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    const depth = tf.find('aws_cloudwatch_metric_alarm', 'alarm_name', `${def.dlqName}-not-empty`).body;
    expect(depth.threshold).toBe(0);
    expect(tf.deref((depth.dimensions as { QueueName: string }).QueueName).body.name).toBe(def.dlqName);
    expect(tf.find('aws_cloudwatch_metric_alarm', 'alarm_name', `${def.name}-oldest-message`).body.metric_name).toBe('ApproximateAgeOfOldestMessage');
  });

  it('runs the notifier as its own service whose security group allows only outbound 443', () => {
    const service = tf.find('aws_ecs_service', 'name', `${PREFIX}-notifier`).body;
    expect(service.desired_count).toBe(1);
    const sg = tf.find('aws_security_group', 'name', `${PREFIX}-notifier`).body;
    expect(sg.ingress ?? []).toEqual([]);
    expect(sg.egress).toEqual([expect.objectContaining({ protocol: 'tcp', from_port: 443, to_port: 443 })]);
  });

  it('lets only the notifier read webhook secrets, and denies them to every worker', () => {
    const notifier = statementsOf(`${PREFIX}-notifier-task`);
    const ssm = notifier.filter((s) => s.Action.some((a) => a.startsWith('ssm:')));
    expect(ssm).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['ssm:GetParameter'] })]);
    expect(ssm[0]!.Resource).toEqual([expect.stringMatching(/:parameter\/outpost\/test\/webhooks\/\*$/)]);
    expect(JSON.stringify(notifier)).not.toContain('/tenants');
    for (const tier of TIER_NAMES) {
      const worker = statementsOf(`${PREFIX}-worker-${tier}-task`);
      expect(worker).toContainEqual(expect.objectContaining({ Effect: 'Deny', Resource: expect.arrayContaining([expect.stringMatching(/\/webhooks\/\*$/)]) }));
      expect(JSON.stringify(worker.filter((s) => s.Effect === 'Allow'))).not.toContain('/webhooks');
    }
    const edge = JSON.stringify([...statementsOf(`${PREFIX}-edge-task`), ...statementsOf(`${PREFIX}-webhook-read`)]);
    expect(edge).not.toMatch(/webhooks\/\*|ssm:GetParameter"/);
  });

  it('gives the dispatcher (the relay) a send on the webhooks queue and a query on endpoints', () => {
    const relay = statementsOf(`${PREFIX}-webhook-relay`);
    expect(relay.map((s) => s.Action).flat().sort()).toEqual(['dynamodb:Query', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    const dispatcherTask = Object.values(tf.all('aws_ecs_task_definition')).find((t) => t.family === `${PREFIX}-dispatcher`)!;
    expect(dispatcherTask.container_definitions as string).toContain('"OUTPOST_PUBLIC_URL"');
  });
});
