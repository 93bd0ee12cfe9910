import { beforeAll, describe, expect, it } from '@jest/globals';
import { TIER_NAMES } from '@outpost/shared';
import { RUNS_FINISHED_METRIC } from '../src/stacks/alarms.js';
import { DEFAULT_COLLECTOR_IMAGE, resolveStackConfig } from '../src/stacks/config.js';
import type { Statement } from '../src/stacks/iam.js';
import { collectorConfig, METRIC_DECLARATIONS, renderCollectorConfig, terraformLiteral, type CollectorConfig } from '../src/stacks/telemetry.js';
import { synthStack, type Synthesized } from './helpers/synth.js';

const PREFIX = 'outpost-test';
const CONFIG = { env: 'test', region: 'eu-west-1', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' };

/** Each task family, its app container and OTEL_SERVICE_NAME, and its task role. */
const SERVICES = [
  { family: `${PREFIX}-edge`, container: 'edge', otelName: 'outpost-edge', role: `${PREFIX}-edge-task` },
  { family: `${PREFIX}-dispatcher`, container: 'dispatcher', otelName: 'outpost-dispatcher', role: `${PREFIX}-dispatcher-task` },
  { family: `${PREFIX}-notifier`, container: 'notifier', otelName: 'outpost-notifier', role: `${PREFIX}-notifier-task` },
  ...TIER_NAMES.map((t) => ({ family: `${PREFIX}-${t}-worker`, container: 'worker', otelName: 'outpost-worker', role: `${PREFIX}-worker-${t}-task` })),
];

interface Container {
  name: string;
  image: string;
  essential: boolean;
  command?: string[];
  environment: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  dependsOn?: { containerName: string; condition: string }[];
  logConfiguration: { options: Record<string, string> };
}
const containersOf = (tf: Synthesized, family: string) =>
  JSON.parse(tf.find('aws_ecs_task_definition', 'family', family).body.container_definitions as string) as Container[];
const envOf = (c: Container) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
const sidecarOf = (tf: Synthesized, family: string) => containersOf(tf, family).find((c) => c.name === 'otel-collector');
/** A Terraform string as ECS gets it: `$${` is Terraform's escape of a literal `${`. */
const fromTerraform = (text: string) => text.replaceAll('$${', () => '${');
const collectorConfigOf = (c: Container) => JSON.parse(fromTerraform(envOf(c).OTEL_COLLECTOR_CONFIG!)) as CollectorConfig;
/** The secret ARN (a Terraform reference) and JSON key of an ECS `valueFrom` (`<arn>:<key>::`). */
const secretRef = (valueFrom: string) => {
  const m = /^(\$\{[^}]+\}):([a-z]+)::$/.exec(valueFrom);
  if (!m) throw new Error(`not a JSON-key valueFrom: ${valueFrom}`);
  return { arn: m[1]!, key: m[2]! };
};
/** The aws_secretsmanager_secret a reference (to the secret or one of its versions) names. */
const secretOf = (tf: Synthesized, reference: string) => {
  const hit = tf.deref(reference);
  return hit.type === 'aws_secretsmanager_secret_version' ? tf.deref(hit.body.secret_id as string) : hit;
};
const EXECUTION_ROLES = [`${PREFIX}-ecs-execution`, `${PREFIX}-notifier-execution`];
const secretsStatements = (statements: Statement[]) => statements.filter((st) => st.Action.some((a) => a.startsWith('secretsmanager:')));
const statementsOf = (tf: Synthesized, role: string) => {
  const policy = tf.find('aws_iam_role_policy', 'name', role).body.policy as string;
  return (JSON.parse(policy) as { Statement: Statement[] }).Statement;
};
const failedRateAlarms = (tf: Synthesized) => Object.values(tf.all('aws_cloudwatch_metric_alarm')).filter((a) => String(a.alarm_name).endsWith('-failed-run-rate'));

let tf: Synthesized;
beforeAll(() => {
  tf = synthStack(CONFIG).synthesized;
});

describe('AWS stack: telemetry on (the default)', () => {
  it.each(SERVICES.map((s) => [s.family, s] as const))('%s runs a non-essential contrib collector sidecar, configured from OTEL_COLLECTOR_CONFIG', (family) => {
    const sidecar = sidecarOf(tf, family);
    expect(DEFAULT_COLLECTOR_IMAGE).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    expect(sidecar).toMatchObject({ image: DEFAULT_COLLECTOR_IMAGE, essential: false, command: ['--config=env:OTEL_COLLECTOR_CONFIG'] });
    expect(Object.keys(envOf(sidecar!))).toEqual(['OTEL_COLLECTOR_CONFIG']);
    expect(containersOf(tf, family)).toHaveLength(2);
    // Its own logs go to the service's log group, under their own stream prefix.
    expect(sidecar!.logConfiguration.options['awslogs-stream-prefix']).toBe('otel-collector');
  });

  it.each(SERVICES.map((s) => [s.family, s] as const))('%s: the collector receives OTLP/HTTP on 127.0.0.1:4318 only', (family) => {
    const config = collectorConfigOf(sidecarOf(tf, family)!);
    expect(config.receivers).toEqual({ otlp: { protocols: { http: { endpoint: '127.0.0.1:4318', auth: { authenticator: 'bearertokenauth' } } } } });
    expect(JSON.stringify(config)).not.toMatch(/0\.0\.0\.0|grpc|4317/);
  });

  it.each(SERVICES.map((s) => [s.family, s] as const))('%s: traces go to X-Ray and metrics to EMF in its own log group', (family) => {
    const config = collectorConfigOf(sidecarOf(tf, family)!);
    expect(config.service.extensions).toEqual(['bearertokenauth']);
    expect(config.service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['awsxray'] },
      metrics: { receivers: ['otlp'], processors: ['batch'], exporters: ['awsemf'] },
    });
    const emf = config.exporters.awsemf;
    expect(emf).toMatchObject({ namespace: 'Outpost', dimension_rollup_option: 'NoDimensionRollup', region: 'eu-west-1' });
    const group = tf.deref(emf.log_group_name).body;
    expect(group.name).toMatch(/^\/outpost\/test\/metrics\//);
    expect(group.retention_in_days).toBe(resolveStackConfig(CONFIG).logRetentionDays);
  });

  it.each(SERVICES.map((s) => [s.family, s] as const))('%s: the receiver requires the bearer token, which the collector takes from its environment', (family) => {
    const sidecar = sidecarOf(tf, family)!;
    const config = collectorConfigOf(sidecar);
    expect(config.receivers.otlp.protocols.http.auth).toEqual({ authenticator: 'bearertokenauth' });
    expect(config.extensions).toEqual({ bearertokenauth: { token: '${env:OTEL_COLLECTOR_TOKEN}' } });
    expect(config.service.extensions).toEqual(['bearertokenauth']);
    // Terraform must pass the reference through, not interpolate it (it would fail on `env:`).
    const raw = envOf(sidecar).OTEL_COLLECTOR_CONFIG!;
    expect(raw).toContain('$${env:OTEL_COLLECTOR_TOKEN}');
    expect(raw).not.toMatch(/(^|[^$])\$\{env:/);
  });

  it.each(SERVICES.map((s) => [s.family, s] as const))('%s: no token in the task definition, only the secret’s keys: token to the collector, headers to the app', (family, s) => {
    const definitions = tf.find('aws_ecs_task_definition', 'family', family).body.container_definitions as string;
    expect(definitions).not.toMatch(/random_password|secret_string|Bearer|Authorization/);
    const containers = containersOf(tf, family);
    for (const c of containers) expect(Object.keys(envOf(c)).filter((k) => k === 'OTEL_COLLECTOR_TOKEN' || k === 'OTEL_EXPORTER_OTLP_HEADERS')).toEqual([]);
    const app = containers.find((c) => c.name === s.container)!;
    const sidecar = sidecarOf(tf, family)!;
    expect(sidecar.secrets!.map((x) => x.name)).toEqual(['OTEL_COLLECTOR_TOKEN']);
    expect(app.secrets!.map((x) => x.name)).toEqual(['OTEL_EXPORTER_OTLP_HEADERS']);
    const token = secretRef(sidecar.secrets![0]!.valueFrom);
    const headers = secretRef(app.secrets![0]!.valueFrom);
    expect([token.key, headers.key]).toEqual(['token', 'headers']);
    expect(secretOf(tf, token.arn).id).toBe(secretOf(tf, headers.arn).id);
    expect(secretOf(tf, token.arn).body.name).toBe(`${PREFIX}-otel-collector-token`);
  });

  it('keeps one token secret per stack: JSON {token, headers} from a 40-character password without punctuation, kept across plans', () => {
    expect(Object.keys(tf.all('aws_secretsmanager_secret'))).toHaveLength(1);
    const versions = Object.values(tf.all('aws_secretsmanager_secret_version'));
    expect(versions).toHaveLength(1);
    const version = versions[0]!;
    expect(tf.deref(version.secret_id as string).type).toBe('aws_secretsmanager_secret');
    expect(version.lifecycle).toEqual({ ignore_changes: ['secret_string'] });
    const pw = /^\$\{jsonencode\(\{"token" = (data\.aws_secretsmanager_random_password\.[^.]+\.random_password), "headers" = "Authorization=Bearer \$\{\1\}"\}\)\}$/.exec(version.secret_string as string);
    expect(pw).not.toBeNull();
    const passwords = (tf.json as { data?: Record<string, Record<string, Record<string, unknown>>> }).data?.aws_secretsmanager_random_password ?? {};
    expect(Object.values(passwords)).toEqual([{ password_length: 40, exclude_punctuation: true }]);
    expect(Object.keys(passwords)).toEqual([pw![1]!.split('.')[2]]);
  });

  it('lets the execution roles, and no task role, read exactly that secret', () => {
    const [secret] = Object.keys(tf.all('aws_secretsmanager_secret'));
    for (const role of EXECUTION_ROLES) {
      const granted = secretsStatements(statementsOf(tf, role));
      expect(granted.map((st) => [st.Effect, st.Action])).toEqual([['Allow', ['secretsmanager:GetSecretValue']]]);
      expect(granted[0]!.Resource).toHaveLength(1);
      expect(tf.deref(granted[0]!.Resource[0]!)).toMatchObject({ type: 'aws_secretsmanager_secret', id: secret });
    }
    for (const s of SERVICES) {
      expect(secretsStatements(statementsOf(tf, s.role))).toEqual([]);
      // The task's execution role is one of the two that hold the grant.
      const execution = tf.find('aws_ecs_task_definition', 'family', s.family).body.execution_role_arn as string;
      expect(EXECUTION_ROLES).toContain(tf.deref(execution).body.name);
    }
  });

  it('gives each service its own EMF log group', () => {
    const groups = SERVICES.map((s) => tf.deref(collectorConfigOf(sidecarOf(tf, s.family)!).exporters.awsemf.log_group_name).body.name);
    expect(new Set(groups).size).toBe(SERVICES.length);
  });

  it.each(SERVICES.map((s) => [s.family, s] as const))('%s: the app container exports to the sidecar and starts after it', (family, s) => {
    const app = containersOf(tf, family).find((c) => c.name === s.container)!;
    expect(app.essential).toBe(true);
    expect(envOf(app)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_SERVICE_NAME: s.otelName,
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
    });
    expect(app.dependsOn).toEqual([{ containerName: 'otel-collector', condition: 'START' }]);
  });

  it.each(SERVICES.map((s) => [s.role, s] as const))('%s may put X-Ray segments and write its own EMF log group, nothing wider', (role, s) => {
    const statements = statementsOf(tf, role);
    const xray = statements.filter((st) => st.Action.some((a) => a.startsWith('xray:')));
    expect(xray.flatMap((st) => st.Action).sort()).toEqual(['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    const logs = statements.filter((st) => st.Action.some((a) => a.startsWith('logs:')));
    expect(logs.flatMap((st) => st.Action).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
    const resources = logs.flatMap((st) => st.Resource);
    expect(resources).not.toContain('*');
    const own = collectorConfigOf(sidecarOf(tf, s.family)!).exporters.awsemf.log_group_name;
    for (const r of resources) expect(tf.deref(r).body.name).toBe(tf.deref(own).body.name);
  });

  it.each(TIER_NAMES.map((t) => [t]))('the %s tier has a failed-run-rate alarm: failed / all finished runs, 3 × 5 min', (tier) => {
    const alarm = tf.find('aws_cloudwatch_metric_alarm', 'alarm_name', `${PREFIX}-${tier}-failed-run-rate`).body;
    expect(alarm).toMatchObject({ threshold: 25, comparison_operator: 'GreaterThanThreshold', evaluation_periods: 3, datapoints_to_alarm: 3, treat_missing_data: 'notBreaching' });
    const queries = alarm.metric_query as { id: string; expression?: string; return_data: boolean; metric?: { dimensions: Record<string, string>; metric_name: string; namespace: string; period: number; stat: string } }[];
    const byId = Object.fromEntries(queries.map((q) => [q.id, q]));
    for (const id of ['failed', 'total']) {
      expect(byId[id]!.metric).toMatchObject({ metric_name: RUNS_FINISHED_METRIC, namespace: 'Outpost', period: 300, stat: 'Sum' });
      expect(byId[id]!.return_data).toBe(false);
    }
    expect(byId.failed!.metric!.dimensions).toEqual({ tier, status: 'failed' });
    expect(byId.total!.metric!.dimensions).toEqual({ tier });
    expect(queries.filter((q) => q.return_data)).toEqual([expect.objectContaining({ expression: '100 * FILL(failed, 0) / total' })]);
  });

  it('the alarm reads only dimension sets the collectors publish', () => {
    const published = METRIC_DECLARATIONS.filter((d) => d.metric_name_selectors.some((re) => new RegExp(re).test(RUNS_FINISHED_METRIC)))
      .flatMap((d) => d.dimensions)
      .map((set) => [...set].sort().join(','));
    for (const alarm of failedRateAlarms(tf)) {
      for (const q of alarm.metric_query as { metric?: { dimensions: Record<string, string> } }[]) {
        if (q.metric) expect(published).toContain(Object.keys(q.metric.dimensions).sort().join(','));
      }
    }
    expect(failedRateAlarms(tf)).toHaveLength(TIER_NAMES.length);
  });

  it('keeps the queue alarms next to it', () => {
    expect(Object.values(tf.all('aws_cloudwatch_metric_alarm')).filter((a) => a.namespace === 'AWS/SQS').length).toBeGreaterThanOrEqual(2 * TIER_NAMES.length);
  });
});

describe('AWS stack: telemetry configured', () => {
  it('takes the collector image, export interval, alarm threshold and actions from the config', () => {
    const image = 'otel/opentelemetry-collector-contrib:0.120.1';
    const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';
    const custom = synthStack({ ...CONFIG, telemetry: { collectorImage: image, metricExportIntervalMs: 15_000 }, failedRunRateAlarmPercent: 10, alarmActions: [topic] }).synthesized;
    expect(sidecarOf(custom, `${PREFIX}-edge`)!.image).toBe(image);
    expect(envOf(containersOf(custom, `${PREFIX}-free-worker`)[0]!).OTEL_METRIC_EXPORT_INTERVAL).toBe('15000');
    for (const alarm of failedRateAlarms(custom)) expect(alarm).toMatchObject({ threshold: 10, alarm_actions: [topic], ok_actions: [topic] });
  });

  it('refuses an unpinned collector image and a threshold outside (0, 100]', () => {
    expect(() => resolveStackConfig({ telemetry: { collectorImage: 'otel/opentelemetry-collector-contrib:latest' } })).toThrow(/pinned/);
    expect(() => resolveStackConfig({ telemetry: { collectorImage: 'otel/opentelemetry-collector-contrib' } })).toThrow(/pinned/);
    expect(() => resolveStackConfig({ failedRunRateAlarmPercent: 0 })).toThrow();
    expect(() => resolveStackConfig({ failedRunRateAlarmPercent: 101 })).toThrow();
    expect(resolveStackConfig({ telemetry: { enabled: false } }).telemetry).toEqual({
      enabled: false,
      collectorImage: DEFAULT_COLLECTOR_IMAGE,
      metricExportIntervalMs: 60_000,
    });
  });
});

describe('AWS stack: telemetry off', () => {
  let off: Synthesized;
  beforeAll(() => {
    off = synthStack({ ...CONFIG, telemetry: { enabled: false } }).synthesized;
  });

  it.each(SERVICES.map((s) => [s.family, s] as const))('%s has only its own container, with no OTEL_* variable', (family, s) => {
    const containers = containersOf(off, family);
    expect(containers.map((c) => c.name)).toEqual([s.container]);
    expect(Object.keys(envOf(containers[0]!)).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
    expect(containers[0]!.dependsOn).toBeUndefined();
    expect(containers[0]!.secrets).toBeUndefined();
  });

  it('has no collector token: no secret, version or password, and no execution role reads Secrets Manager', () => {
    expect(off.all('aws_secretsmanager_secret')).toEqual({});
    expect(off.all('aws_secretsmanager_secret_version')).toEqual({});
    expect((off.json as { data?: Record<string, unknown> }).data?.aws_secretsmanager_random_password).toBeUndefined();
    for (const role of EXECUTION_ROLES) expect(secretsStatements(statementsOf(off, role))).toEqual([]);
  });

  it('has no EMF log groups, collector grants or failed-run-rate alarms', () => {
    expect(Object.values(off.all('aws_cloudwatch_log_group')).filter((g) => String(g.name).includes('/metrics/'))).toEqual([]);
    const actions = Object.values(off.all('aws_iam_role_policy')).flatMap((p) => (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement.flatMap((s) => s.Action));
    expect(actions.filter((a) => a.startsWith('xray:'))).toEqual([]);
    expect(failedRateAlarms(off)).toEqual([]);
  });
});

describe('collector config', () => {
  const config = collectorConfig({ region: 'eu-west-1', logGroupName: '/outpost/test/metrics/edge' });
  const selectorsFor = (metric: string) => METRIC_DECLARATIONS.filter((d) => d.metric_name_selectors.some((re) => new RegExp(re).test(metric)));

  it('serializes to JSON (which the collector reads as YAML) and back unchanged', () => {
    expect(JSON.parse(renderCollectorConfig(config))).toEqual(config);
  });

  it('escapes the collector’s ${env:…} references for Terraform, and only those', () => {
    const text = renderCollectorConfig(config);
    expect(terraformLiteral(text)).toContain('"token":"$${env:OTEL_COLLECTOR_TOKEN}"');
    expect(fromTerraform(terraformLiteral(text))).toBe(text);
    expect(terraformLiteral('${TfToken[TOKEN.1]} ${env:A}')).toBe('${TfToken[TOKEN.1]} $${env:A}');
  });

  it('declares a dimension set for every metric of the telemetry contract, never by tenant', () => {
    const contract = ['outpost.runs.dispatched', 'outpost.runs.finished', 'outpost.run.queue_wait', 'outpost.run.duration', 'outpost.queue.backlog', 'outpost.pool.workers', 'outpost.model.tokens', 'outpost.model.cost', 'outpost.webhook.deliveries'];
    for (const metric of contract) expect(selectorsFor(metric)).toHaveLength(1);
    expect(selectorsFor(RUNS_FINISHED_METRIC)[0]!.dimensions).toEqual([['tier', 'status'], ['tier']]);
    expect(selectorsFor('outpost.run.queue_wait')[0]!.dimensions).toEqual([['tier']]);
    expect(METRIC_DECLARATIONS.flatMap((d) => d.dimensions.flat())).not.toContain('tenant');
  });

  it('selects metric names exactly (the dots are literal)', () => {
    expect(selectorsFor('outpostXruns.finished')).toEqual([]);
    expect(selectorsFor('outpost.runs.finished.total')).toEqual([]);
  });
});
