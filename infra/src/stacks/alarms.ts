import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { TIER_NAMES } from '@outpost/shared';
import type { ResolvedStackConfig } from './config.js';
import type { Data } from './data.js';

/**
 * Per tier: any message in the DLQ (a run the workers could not settle; the dispatcher drains it,
 * so a lasting alarm means the dispatcher is down too), and a job queue whose oldest message is
 * older than the threshold (workers missing or scaled too low).
 */
export class Alarms extends Construct {
  constructor(scope: Construct, id: string, config: ResolvedStackConfig, data: Data) {
    super(scope, id);
    const actions = config.alarmActions.length ? { alarmActions: config.alarmActions, okActions: config.alarmActions } : {};
    for (const tier of TIER_NAMES) {
      const { jobs, dlq, definition } = data.queues[tier];
      new CloudwatchMetricAlarm(this, `${tier}-dlq-depth`, {
        alarmName: `${definition.dlqName}-not-empty`,
        alarmDescription: `Runs of the ${tier} tier were dead-lettered`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: dlq.name },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        ...actions,
      });
      new CloudwatchMetricAlarm(this, `${tier}-oldest-message`, {
        alarmName: `${definition.name}-oldest-message`,
        alarmDescription: `A ${tier} job waited more than ${config.oldestMessageAlarmSeconds} s for a worker`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: jobs.name },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        threshold: config.oldestMessageAlarmSeconds,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        ...actions,
      });
    }
  }
}
