import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import type { ResolvedStackConfig } from './config.js';
import type { Statement } from './iam.js';

/** Where the sidecar's OTLP/HTTP receiver listens: loopback only, so nothing outside the task can send to it. */
export const COLLECTOR_HOST = '127.0.0.1';
export const COLLECTOR_PORT = 4318;
export const OTLP_ENDPOINT = `http://${COLLECTOR_HOST}:${COLLECTOR_PORT}`;
/** CloudWatch namespace of every EMF metric (the alarms read it). */
export const METRICS_NAMESPACE = 'Outpost';
export const COLLECTOR_CONTAINER = 'otel-collector';
/** The variable the collector reads its whole configuration from (`--config=env:…`). */
export const COLLECTOR_CONFIG_ENV = 'OTEL_COLLECTOR_CONFIG';
/** The variable (an ECS secret) holding the bearer token the receiver requires. */
export const COLLECTOR_TOKEN_ENV = 'OTEL_COLLECTOR_TOKEN';
/** The standard variable (an ECS secret) whose headers the services' OTLP exporters send on every export. */
export const OTLP_HEADERS_ENV = 'OTEL_EXPORTER_OTLP_HEADERS';

/** OTEL_SERVICE_NAME of each service (the libs/shared telemetry contract). */
export type OtelServiceName = 'outpost-edge' | 'outpost-worker' | 'outpost-dispatcher' | 'outpost-notifier';

export interface MetricDeclaration {
  dimensions: string[][];
  metric_name_selectors: string[];
}

/** The subset of the collector's configuration the sidecar uses (the collector reads it as YAML; JSON is YAML). */
export interface CollectorConfig {
  receivers: { otlp: { protocols: { http: { endpoint: string; auth: { authenticator: 'bearertokenauth' } } } } };
  /** The token is a reference the collector resolves from its environment, never the value. */
  extensions: { bearertokenauth: { token: string } };
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
  service: { extensions: ['bearertokenauth']; pipelines: Record<'traces' | 'metrics', { receivers: ['otlp']; processors: ['batch']; exporters: string[] }> };
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

/**
 * One sidecar's configuration: OTLP/HTTP in on loopback, only from callers with the bearer token,
 * traces to X-Ray, metrics as EMF into the service's log group.
 */
export function collectorConfig(opts: { region: string; logGroupName: string }): CollectorConfig {
  const pipeline = (exporter: string) => ({ receivers: ['otlp'] as ['otlp'], processors: ['batch'] as ['batch'], exporters: [exporter] });
  return {
    receivers: { otlp: { protocols: { http: { endpoint: `${COLLECTOR_HOST}:${COLLECTOR_PORT}`, auth: { authenticator: 'bearertokenauth' } } } } },
    extensions: { bearertokenauth: { token: `\${env:${COLLECTOR_TOKEN_ENV}}` } },
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
    service: { extensions: ['bearertokenauth'], pipelines: { traces: pipeline('awsxray'), metrics: pipeline('awsemf') } },
  };
}

/** What OTEL_COLLECTOR_CONFIG carries, as the collector reads it. */
export const renderCollectorConfig = (config: CollectorConfig): string => JSON.stringify(config);

/**
 * The same text as a Terraform string: Terraform would read `${env:…}` as its own interpolation
 * (and fail), so those become `$${env:…}`, which Terraform turns back into `${env:…}` for ECS.
 * Terraform references (cdktf tokens) are left alone.
 */
export const terraformLiteral = (text: string): string => text.replaceAll('${env:', () => '$${env:');

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
 * in a task that also runs agent code: agents hold no credentials (other uid) and, although they
 * share the task's loopback, the receiver refuses them (no collector token: see CollectorToken).
 * Keep these grants exactly this small all the same.
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
  secrets?: { name: string; valueFrom: string }[];
};

/**
 * The bearer token every collector's receiver requires, so that only the task's own service can
 * send telemetry: agents share the worker's network namespace (and so its loopback) but not its
 * uid, and could otherwise push forged metrics (a fake `outpost.runs.finished{status=failed}`
 * firing or masking the failed-run-rate alarm) or traces. One Secrets Manager secret per stack,
 * JSON `{ token, headers }`: ECS reads it at task start with the execution role and hands `token`
 * to the collector and `headers` (`Authorization=Bearer …`) to the app container, as variables of
 * those containers only. Agents get an environment built from scratch and cannot read the worker's
 * /proc/<pid>/environ (other uid). The value is generated once (40 letters and digits); Terraform
 * then ignores it, so a rotation (a new secret version) is not undone by the next apply.
 */
export class CollectorToken extends Construct {
  readonly secret: SecretsmanagerSecret;
  private readonly version: SecretsmanagerSecretVersion;

  constructor(scope: Construct, id: string, config: ResolvedStackConfig) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, 'secret', {
      name: `${config.prefix}-otel-collector-token`,
      description: 'Outpost: bearer token of the OpenTelemetry collector sidecars (token, and the OTLP headers that carry it)',
      // Nothing to recover: a new token works as soon as the tasks restart.
      recoveryWindowInDays: 0,
    });
    const password = new DataAwsSecretsmanagerRandomPassword(this, 'password', { passwordLength: 40, excludePunctuation: true });
    this.version = new SecretsmanagerSecretVersion(this, 'version', {
      secretId: this.secret.id,
      secretString: Fn.jsonencode({ token: password.randomPassword, headers: `Authorization=Bearer ${password.randomPassword}` }),
      // The data source draws a new password on every plan: keep the first (or the rotated) one.
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
  }

  /** The secret, for the execution roles' GetSecretValue. */
  get arn(): string {
    return this.secret.arn;
  }

  /** ECS `valueFrom` of one key of the secret's JSON (through the version, so tasks start after it exists). */
  valueFrom(key: 'token' | 'headers'): string {
    return `${this.version.arn}:${key}::`;
  }
}

/** The execution role's one read of Secrets Manager: the collector token, nothing else. */
export function collectorTokenStatement(secretArn: string): Statement {
  return { Sid: 'CollectorToken', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] };
}

/**
 * One service's telemetry: its EMF log group (Terraform owns it, with the stack's retention), the
 * task-role statements, and the sidecar it adds to the task definition.
 */
export class ServiceTelemetry extends Construct {
  readonly logGroup: CloudwatchLogGroup;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: { config: ResolvedStackConfig; token: CollectorToken; serviceName: OtelServiceName; logName: string },
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

  /** The app container (with the OTEL_* variables and the token's headers, started after the collector) and the collector. */
  containers(app: ContainerDefinition, appLogGroupName: string): ContainerDefinition[] {
    const { config, serviceName, token } = this.props;
    const env = otelEnv(serviceName, config.telemetry.metricExportIntervalMs);
    const environment = [...app.environment, ...Object.entries(env).map(([name, value]) => ({ name, value }))].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const collector: ContainerDefinition = {
      name: COLLECTOR_CONTAINER,
      image: config.telemetry.collectorImage,
      // Losing telemetry must not stop a run or the edge: ECS keeps the task if the sidecar dies.
      essential: false,
      command: [`--config=env:${COLLECTOR_CONFIG_ENV}`],
      environment: [
        { name: COLLECTOR_CONFIG_ENV, value: terraformLiteral(renderCollectorConfig(collectorConfig({ region: config.region, logGroupName: this.logGroup.name }))) },
      ],
      secrets: [{ name: COLLECTOR_TOKEN_ENV, valueFrom: token.valueFrom('token') }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': appLogGroupName, 'awslogs-region': config.region, 'awslogs-stream-prefix': COLLECTOR_CONTAINER },
      },
    };
    const dependsOn = [...(app.dependsOn ?? []), { containerName: COLLECTOR_CONTAINER, condition: 'START' }];
    const secrets = [...(app.secrets ?? []), { name: OTLP_HEADERS_ENV, valueFrom: token.valueFrom('headers') }];
    return [{ ...app, environment, secrets, dependsOn }, collector];
  }
}

/** The stack's collector token, or undefined when the stack has telemetry off. */
export function collectorToken(scope: Construct, id: string, config: ResolvedStackConfig): CollectorToken | undefined {
  return config.telemetry.enabled ? new CollectorToken(scope, id, config) : undefined;
}

/** The service's telemetry, or undefined when the stack has it off. */
export function serviceTelemetry(
  scope: Construct,
  id: string,
  config: ResolvedStackConfig,
  token: CollectorToken | undefined,
  serviceName: OtelServiceName,
  logName: string,
): ServiceTelemetry | undefined {
  if (!config.telemetry.enabled) return undefined;
  if (!token) throw new Error('telemetry is on but the stack has no collector token');
  return new ServiceTelemetry(scope, id, { config, token, serviceName, logName });
}
