import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository/index.js';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service/index.js';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { webhookQueueDefinition } from '@outpost/shared';
import type { ResolvedStackConfig } from './config.js';
import type { Data } from './data.js';
import { executionStatements, TaskRole, type ArnContext, type Statement } from './iam.js';
import { notifierStatements, webhookRelayStatements, webhookReadStatements } from './webhook-iam.js';
import type { Network } from './network.js';
import { serviceTelemetry, type CollectorToken, type ContainerDefinition } from './telemetry.js';

export interface WebhooksProps {
  config: ResolvedStackConfig;
  data: Data;
  network: Network;
  arns: ArnContext;
  clusterArn: string;
  /** The relay runs in the dispatcher's tick; fleet_status (edge) lists endpoints. */
  dispatcherRole: IamRole;
  edgeRole: IamRole;
  /** The collectors' bearer token (the stack's one secret); undefined when telemetry is off. */
  collectorToken: CollectorToken | undefined;
}

/**
 * Webhooks (issue 14): the `…-webhooks` queue and its DLQ, their alarms, and the notifier service
 * that sends. The notifier sends, not the worker or the edge: the worker hosts hostile agents
 * (a signing secret there is one exploit from theft), and the edge answers clients (slow or
 * hostile receivers must not hold its connections or tie its latency to theirs). A service of its
 * own gets the one role that reads webhook secrets and the one security group that reaches
 * arbitrary hosts, and only on 443.
 */
export class Webhooks extends Construct {
  readonly queue: SqsQueue;
  readonly dlq: SqsQueue;
  readonly service: EcsService;
  readonly repositoryUrl: string;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    const { config, data, network, arns } = props;
    const def = webhookQueueDefinition(config.prefix);
    this.dlq = new SqsQueue(this, 'dlq', { name: def.dlqName, messageRetentionSeconds: def.dlqRetentionSeconds, sqsManagedSseEnabled: true });
    this.queue = new SqsQueue(this, 'queue', {
      name: def.name,
      visibilityTimeoutSeconds: def.visibilityTimeoutSeconds,
      messageRetentionSeconds: def.messageRetentionSeconds,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.dlq.arn, maxReceiveCount: def.maxReceiveCount }),
    });
    this.alarms(config, this.dlq, this.queue);

    const attach = (role: IamRole, name: string, statements: Statement[]) =>
      new IamRolePolicy(this, name, { name: `${config.prefix}-${name}`, role: role.id, policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) });
    attach(props.dispatcherRole, 'webhook-relay', webhookRelayStatements(data, this.queue.arn));
    attach(props.edgeRole, 'webhook-read', webhookReadStatements(data));

    const repo = new EcrRepository(this, 'repo', {
      name: `${config.prefix}-notifier`,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
    });
    this.repositoryUrl = repo.repositoryUrl;
    const logs = new CloudwatchLogGroup(this, 'logs', { name: `/outpost/${config.env}/notifier`, retentionInDays: config.logRetentionDays });
    const execution = new TaskRole(this, 'execution-role', {
      name: `${config.prefix}-notifier-execution`,
      account: arns.account,
      statements: executionStatements({ ...arns, logGroupArns: [logs.arn], repositoryArns: [repo.arn] }, props.collectorToken?.arn),
    }).role;
    const telemetry = serviceTelemetry(this, 'telemetry', config, props.collectorToken, 'outpost-notifier', 'notifier');
    const role = new TaskRole(this, 'role', {
      name: `${config.prefix}-notifier-task`,
      account: arns.account,
      // X-Ray and CloudWatch Logs are HTTPS APIs: the collector needs nothing beyond the 443 egress below.
      statements: [...notifierStatements(data, arns, this.queue.arn, data.secretsKey.arn), ...(telemetry?.statements ?? [])],
    }).role;
    const sg = new SecurityGroup(this, 'sg', {
      name: `${config.prefix}-notifier`,
      description: 'Outpost notifier: no inbound; outbound HTTPS only (receivers and AWS APIs)',
      vpcId: network.vpc.id,
      egress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'] }],
    });
    const environment = Object.entries({
      OUTPOST_MODE: 'aws',
      OUTPOST_ENV: config.env,
      OUTPOST_PREFIX: config.prefix,
      AWS_REGION: config.region,
    }).map(([name, value]) => ({ name, value }));
    const container: ContainerDefinition = {
      name: 'notifier',
      image: `${repo.repositoryUrl}:${config.imageTag}`,
      essential: true,
      // A delivery ends within its 10 s timeout; the rest is the consumer's last poll.
      stopTimeout: 30,
      environment,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': logs.name, 'awslogs-region': config.region, 'awslogs-stream-prefix': 'notifier' },
      },
    };
    const task = new EcsTaskDefinition(this, 'task', {
      family: `${config.prefix}-notifier`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      taskRoleArn: role.arn,
      executionRoleArn: execution.arn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      containerDefinitions: JSON.stringify(telemetry ? telemetry.containers(container, logs.name) : [container]),
    });
    this.service = new EcsService(this, 'service', {
      name: `${config.prefix}-notifier`,
      cluster: props.clusterArn,
      taskDefinition: task.arn,
      desiredCount: 1,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: { subnets: network.privateSubnetIds, securityGroups: [sg.id], assignPublicIp: false },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: 'SERVICE',
    });
  }

  /** Any dead letter (the notifier crashed on a message 5 times), and a backlog older than 30 minutes (notifier down or too slow). */
  private alarms(config: ResolvedStackConfig, dlq: SqsQueue, queue: SqsQueue): void {
    const def = webhookQueueDefinition(config.prefix);
    const actions = config.alarmActions.length ? { alarmActions: config.alarmActions, okActions: config.alarmActions } : {};
    const common = { namespace: 'AWS/SQS', statistic: 'Maximum', period: 60, comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', ...actions };
    new CloudwatchMetricAlarm(this, 'dlq-depth', {
      ...common,
      alarmName: `${def.dlqName}-not-empty`,
      alarmDescription: 'Webhook messages the notifier could not handle were dead-lettered',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: dlq.name },
      evaluationPeriods: 1,
      threshold: 0,
    });
    // Retries are new messages delayed at most 15 min, so a healthy queue's oldest message is younger than that.
    new CloudwatchMetricAlarm(this, 'oldest-message', {
      ...common,
      alarmName: `${def.name}-oldest-message`,
      alarmDescription: 'A webhook message waited more than 30 minutes for the notifier',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queue.name },
      evaluationPeriods: 5,
      threshold: 1800,
    });
  }
}
