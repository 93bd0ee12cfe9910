import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type { ResolvedStackConfig } from './config.js';
import type { Statement } from './iam.js';

/** Where the sidecar's OTLP/HTTP receiver listens: loopback only, so nothing outside the task can send to it. */
export const COLLECTOR_HOST = '127.0.0.1';
export const COLLECTOR_PORT = 4318;
export const OTLP_ENDPOINT = `http://${COLLECTOR_HOST}:${COLLECTOR_PORT}`;
/** CloudWatch namespace of every EMF metric (the alarms read it). */
export const METRICS_NAMESPACE = 'Outpost';
export const COLLECTOR_CONTAINER = 'otel-collector';

/** OTEL_SERVICE_NAME of each service (the libs/shared telemetry contract). */
export type OtelServiceName = 'outpost-edge' | 'outpost-worker' | 'outpost-dispatcher' | 'outpost-notifier';

export interface MetricDeclaration {
  dimensions: string[][];
  metric_name_selectors: string[];
}

/** The subset of the collector's configuration the sidecar uses (the collector reads it as YAML; JSON is YAML). */
export interface CollectorConfig {
  receivers: { otlp: { protocols: { http: { endpoint: string } } } };
  processors: { batch: Record<string, never> };
  exporters: {
    awsxray: { region: string };
    awsemf: {
      region: string;
      namespace: string;
      log_group_name: string;
      log_stream_name: string;
      dimension_rollup_option: 'NoDimensionRollup';
      metric_declarations: MetricDeclaration[];
    };
  };
  service: { pipelines: Record<'traces' | 'metrics', { receivers: ['otlp']; processors: ['batch']; exporters: string[] }> };
}

const exact = (name: string) => `^${name.replace(/\./g, '\\.')}$`;
const declare = (names: string[], ...dimensions: string[][]): MetricDeclaration => ({ dimensions, metric_name_selectors: names.map(exact) });

/**
 * The CloudWatch metrics (dimension sets) the EMF exporter publishes; a metric or set not listed
 * stays in the EMF log lines only (Logs Insights can still read every attribute there). Tenant is
 * deliberately no dimension: each value would be one more custom metric to pay for.
 */
export const METRIC_DECLARATIONS: MetricDeclaration[] = [
  // [tier] is the failed-run-rate alarm's denominator, [tier, status] its numerator.
  declare(['outpost.runs.finished'], ['tier', 'status'], ['tier']),
  declare(['outpost.run.duration'], ['tier', 'status']),
  declare(['outpost.runs.dispatched', 'outpost.run.queue_wait', 'outpost.queue.backlog', 'outpost.pool.workers'], ['tier']),
  declare(['outpost.model.tokens'], ['provider', 'kind']),
  declare(['outpost.model.cost'], ['provider']),
  declare(['outpost.webhook.deliveries'], ['outcome']),
];

/** One sidecar's configuration: OTLP/HTTP in on loopback, traces to X-Ray, metrics as EMF into the service's log group. */
export function collectorConfig(opts: { region: string; logGroupName: string }): CollectorConfig {
  const pipeline = (exporter: string) => ({ receivers: ['otlp'] as ['otlp'], processors: ['batch'] as ['batch'], exporters: [exporter] });
  return {
    receivers: { otlp: { protocols: { http: { endpoint: `${COLLECTOR_HOST}:${COLLECTOR_PORT}` } } } },
    processors: { batch: {} },
    exporters: {
      awsxray: { region: opts.region },
      awsemf: {
        region: opts.region,
        namespace: METRICS_NAMESPACE,
        log_group_name: opts.logGroupName,
        log_stream_name: 'otel-emf',
        dimension_rollup_option: 'NoDimensionRollup',
        metric_declarations: METRIC_DECLARATIONS,
      },
    },
    service: { pipelines: { traces: pipeline('awsxray'), metrics: pipeline('awsemf') } },
  };
}

/** What AOT_CONFIG_CONTENT carries. */
export const renderCollectorConfig = (config: CollectorConfig): string => JSON.stringify(config);

/** The variables the app container gets (only standard OTEL_* ones: the services read nothing else). */
export function otelEnv(serviceName: OtelServiceName, metricExportIntervalMs: number): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_METRIC_EXPORT_INTERVAL: String(metricExportIntervalMs),
  };
}

/**
 * What the collector does with the task role: X-Ray puts (no resource-level permissions exist for
 * them, hence "*"), and EMF writes to this service's metrics log group only. The worker's role is
 * in a task that also runs agent code: agents hold no credentials (other uid), but they can reach
 * the loopback receiver, so the most they can do through it is add telemetry to this one log group
 * and to X-Ray. Keep these grants exactly this small.
 */
export function telemetryStatements(logGroupArn: string): Statement[] {
  return [
    {
      Sid: 'CollectorTraces',
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      Resource: ['*'],
    },
    {
      Sid: 'CollectorMetrics',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      Resource: [logGroupArn, `${logGroupArn}:*`],
    },
  ];
}

/** A container definition as ECS reads it (JSON); only the fields this module sets are typed. */
export type ContainerDefinition = Record<string, unknown> & {
  name: string;
  environment: { name: string; value: string }[];
  dependsOn?: { containerName: string; condition: string }[];
};

/**
 * One service's telemetry: its EMF log group (Terraform owns it, with the stack's retention), the
 * task-role statements, and the sidecar it adds to the task definition.
 */
export class ServiceTelemetry extends Construct {
  readonly logGroup: CloudwatchLogGroup;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: { config: ResolvedStackConfig; serviceName: OtelServiceName; logName: string },
  ) {
    super(scope, id);
    const { config } = props;
    this.logGroup = new CloudwatchLogGroup(this, 'emf-logs', {
      name: `/outpost/${config.env}/metrics/${props.logName}`,
      retentionInDays: config.logRetentionDays,
    });
  }

  get statements(): Statement[] {
    return telemetryStatements(this.logGroup.arn);
  }

  /** The app container (with the OTEL_* variables, started after the collector) and the collector. */
  containers(app: ContainerDefinition, appLogGroupName: string): ContainerDefinition[] {
    const { config, serviceName } = this.props;
    const env = otelEnv(serviceName, config.telemetry.metricExportIntervalMs);
    const environment = [...app.environment, ...Object.entries(env).map(([name, value]) => ({ name, value }))].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const collector: ContainerDefinition = {
      name: COLLECTOR_CONTAINER,
      image: config.telemetry.collectorImage,
      // Losing telemetry must not stop a run or the edge: ECS keeps the task if the sidecar dies.
      essential: false,
      environment: [{ name: 'AOT_CONFIG_CONTENT', value: renderCollectorConfig(collectorConfig({ region: config.region, logGroupName: this.logGroup.name })) }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': appLogGroupName, 'awslogs-region': config.region, 'awslogs-stream-prefix': COLLECTOR_CONTAINER },
      },
    };
    const dependsOn = [...(app.dependsOn ?? []), { containerName: COLLECTOR_CONTAINER, condition: 'START' }];
    return [{ ...app, environment, dependsOn }, collector];
  }
}

/** The service's telemetry, or undefined when the stack has it off. */
export function serviceTelemetry(
  scope: Construct,
  id: string,
  config: ResolvedStackConfig,
  serviceName: OtelServiceName,
  logName: string,
): ServiceTelemetry | undefined {
  return config.telemetry.enabled ? new ServiceTelemetry(scope, id, { config, serviceName, logName }) : undefined;
}
