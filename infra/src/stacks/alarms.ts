import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { TIER_NAMES } from '@outpost/shared';
import type { ResolvedStackConfig } from './config.js';
import type { Data } from './data.js';
import { METRICS_NAMESPACE } from './telemetry.js';

/** The EMF counter the failed-run-rate alarm reads (published with [tier] and [tier, status], telemetry.ts). */
export const RUNS_FINISHED_METRIC = 'outpost.runs.finished';
/** 3 periods of 5 minutes, all above the threshold: a quarter hour of failures, not one bad run. */
const RATE_PERIOD_SECONDS = 300;
const RATE_PERIODS = 3;

/**
 * Per tier: any message in the DLQ (a run the workers could not settle; the dispatcher drains it,
 * so a lasting alarm means the dispatcher is down too), and a job queue whose oldest message is
 * older than the threshold (workers missing or scaled too low). With telemetry on, also a tier
 * whose share of failed runs stays above `failedRunRateAlarmPercent` (agents, keys or repos
 * failing, which no queue shows). Only `failed` counts: timed_out and cancelled are the tenant's
 * timeout and the client's choice.
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
      if (config.telemetry.enabled) this.failedRunRate(tier, config, actions);
    }
  }

  private failedRunRate(tier: string, config: ResolvedStackConfig, actions: object): void {
    const finished = (id: string, dimensions: Record<string, string>) => ({
      id,
      returnData: false,
      metric: { namespace: METRICS_NAMESPACE, metricName: RUNS_FINISHED_METRIC, dimensions, stat: 'Sum', period: RATE_PERIOD_SECONDS },
    });
    new CloudwatchMetricAlarm(this, `${tier}-failed-run-rate`, {
      alarmName: `${config.prefix}-${tier}-failed-run-rate`,
      alarmDescription: `More than ${config.failedRunRateAlarmPercent}% of ${tier} runs failed, ${RATE_PERIODS} periods of ${RATE_PERIOD_SECONDS / 60} min running`,
      metricQuery: [
        finished('failed', { tier, status: 'failed' }),
        finished('total', { tier }),
        // No failed datapoint in a period means none failed; no total means no runs (missing: not breaching).
        { id: 'rate', expression: '100 * FILL(failed, 0) / total', label: `${tier} failed runs (%)`, returnData: true },
      ],
      evaluationPeriods: RATE_PERIODS,
      datapointsToAlarm: RATE_PERIODS,
      threshold: config.failedRunRateAlarmPercent,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...actions,
    });
  }
}
