import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { resolveTiers, TierName, type TierLimits, type TierTable } from '@outpost/shared';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const nameOf = (what: string) => z.string().regex(NAME, `${what}: lowercase letters, digits and dashes, starting with a letter`);

/** CPU units and memory (MiB) of one Fargate task. */
const TaskSize = z.object({
  cpu: z.number().int().positive(),
  memory: z.number().int().positive(),
});
export type TaskSize = z.infer<typeof TaskSize>;

/**
 * The collector image the sidecars run: the upstream contrib distribution, which bundles the
 * bearertokenauth extension (the receiver's caller check), awsxray and awsemf, and reads its config
 * from a variable (`--config=env:…`). A pinned tag (or digest): `latest` would change the collector
 * under a running stack.
 */
export const DEFAULT_COLLECTOR_IMAGE = 'otel/opentelemetry-collector-contrib:0.119.0';

/** OpenTelemetry export (infra/src/stacks/telemetry.ts): a collector sidecar per task, traces to X-Ray, metrics to CloudWatch. */
const Telemetry = z.object({
  /** Off: no sidecar, no OTEL_* variables, no collector token secret, no failed-run-rate alarms. @default true */
  enabled: z.boolean().default(true),
  /** @default DEFAULT_COLLECTOR_IMAGE */
  collectorImage: z
    .string()
    .regex(/^[a-z0-9./-]+(:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/, 'an image with a pinned tag (not latest) or digest')
    .default(DEFAULT_COLLECTOR_IMAGE),
  /** How often the services export metrics (OTEL_METRIC_EXPORT_INTERVAL, ms). @default 60000 */
  metricExportIntervalMs: z.number().int().min(1000).default(60_000),
});

/**
 * Everything the AWS stack is configured by. Account-agnostic: no account id appears anywhere;
 * ARNs that need one are built from the caller identity at plan time.
 */
export const StackConfig = z.object({
  /** Environment name: part of the SSM paths `/outpost/{env}/…` and of the default prefix. @default 'prod' */
  env: nameOf('env').default('prod'),
  /** AWS region of every resource. @default 'us-east-1' */
  region: z.string().min(1).default('us-east-1'),
  /**
   * Prefix of every table, queue and bucket (OUTPOST_PREFIX of the services). S3 bucket names are
   * global, so pick one unique to your account, e.g. `outpost-acme-prod`. @default `outpost-${env}`
   */
  prefix: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/).optional(),
  /** Partial per-tier overrides of DEFAULT_TIERS; also passed to every service as OUTPOST_TIERS. @default {} */
  tiers: z.partialRecord(TierName, z.record(z.string(), z.unknown())).default({}),
  /** Image tag deployed for all three services (use the git SHA). @default 'latest' */
  imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/).default('latest'),
  /** ECR repository names; default `${prefix}-edge` etc. */
  repositories: z
    .object({ edge: z.string().optional(), worker: z.string().optional(), dispatcher: z.string().optional() })
    .default({}),
  /** ACM certificate of the HTTPS listener. When absent, the Terraform variable `certificate_arn` is required at apply. */
  certificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'an ACM certificate ARN')
    .optional(),
  /** Public host name clients use (`https://{domain}/mcp`); only reported as an output (DNS is yours). */
  domain: z.string().min(1).optional(),
  /** An external OpenID provider the edge trusts instead of its own sign-in (OUTPOST_OAUTH_ISSUER, OUTPOST_OAUTH_TENANT_CLAIM). */
  oauth: z.object({ issuer: z.string().url(), tenantClaim: z.string().min(1).optional() }).optional(),
  /** CIDR of the VPC; split into two public and two private /20 subnets. @default '10.40.0.0/16' */
  vpcCidr: z.string().regex(/^\d+\.\d+\.0\.0\/16$/, 'a /16 CIDR such as 10.40.0.0/16').default('10.40.0.0/16'),
  /** One NAT gateway (cheap) or one per AZ (survives an AZ outage). @default 'single' */
  natGateways: z.enum(['single', 'per-az']).default('single'),
  /** Days CloudWatch keeps service logs. @default 30 */
  logRetentionDays: z.number().int().positive().default(30),
  /** Times a run is leased before it fails for good (OUTPOST_MAX_ATTEMPTS). @default 3 */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Edge tasks behind the load balancer. @default 2 */
  edgeCount: z.number().int().min(1).default(2),
  edge: TaskSize.default({ cpu: 512, memory: 1024 }),
  dispatcher: TaskSize.default({ cpu: 256, memory: 512 }),
  worker: TaskSize.default({ cpu: 2048, memory: 4096 }),
  /** Images kept per ECR repository. @default 30 */
  keepImages: z.number().int().positive().default(30),
  /** The oldest message of a tier queue older than this raises an alarm. @default 900 */
  oldestMessageAlarmSeconds: z.number().int().positive().default(900),
  /** A tier's share of failed runs (of all finished) above this, 3 periods of 5 min running, raises an alarm. @default 25 */
  failedRunRateAlarmPercent: z.number().gt(0).max(100).default(25),
  /** OpenTelemetry sidecars and where their data goes. @default enabled, DEFAULT_COLLECTOR_IMAGE, 60000 ms */
  telemetry: Telemetry.prefault({}),
  /** Remote state in S3 (with S3-native locking). Without it the state file is local: fine to try, not to run. */
  state: z
    .object({ bucket: z.string().min(3), key: z.string().min(1).optional(), region: z.string().min(1).optional() })
    .optional(),
  /** SNS topic ARNs notified by the alarms. @default [] */
  alarmActions: z.array(z.string().startsWith('arn:')).default([]),
});
export type StackConfigInput = z.input<typeof StackConfig>;

/** The parsed config with the prefix and the tier table resolved. */
export type ResolvedStackConfig = z.infer<typeof StackConfig> & {
  prefix: string;
  tierTable: TierTable;
  repositories: { edge: string; worker: string; dispatcher: string };
};

/** Validates `input` (a ZodError names the bad field) and resolves defaults that depend on others. */
export function resolveStackConfig(input: StackConfigInput | unknown = {}): ResolvedStackConfig {
  const parsed = StackConfig.parse(input);
  const prefix = parsed.prefix ?? `outpost-${parsed.env}`;
  return {
    ...parsed,
    prefix,
    tierTable: resolveTiers(parsed.tiers as Partial<Record<TierName, Partial<TierLimits>>>),
    repositories: {
      edge: parsed.repositories.edge ?? `${prefix}-edge`,
      worker: parsed.repositories.worker ?? `${prefix}-worker`,
      dispatcher: parsed.repositories.dispatcher ?? `${prefix}-dispatcher`,
    },
  };
}

type EnvSource = Record<string, string | undefined>;

/**
 * The config `npm run synth` uses: the JSON file named by OUTPOST_STACK_CONFIG (or `file`), then
 * these variables on top: OUTPOST_ENV, AWS_REGION, OUTPOST_PREFIX, OUTPOST_IMAGE_TAG,
 * OUTPOST_CERTIFICATE_ARN, OUTPOST_DOMAIN, OUTPOST_TIERS (JSON).
 */
export function stackConfigFromEnv(env: EnvSource = process.env, file = env.OUTPOST_STACK_CONFIG): ResolvedStackConfig {
  const base = file ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const set = (key: string, value: unknown) => (value === undefined || value === '' ? {} : { [key]: value });
  return resolveStackConfig({
    ...base,
    ...set('env', env.OUTPOST_ENV),
    ...set('region', env.AWS_REGION),
    ...set('prefix', env.OUTPOST_PREFIX),
    ...set('imageTag', env.OUTPOST_IMAGE_TAG),
    ...set('certificateArn', env.OUTPOST_CERTIFICATE_ARN),
    ...set('domain', env.OUTPOST_DOMAIN),
    ...set('tiers', env.OUTPOST_TIERS ? (JSON.parse(env.OUTPOST_TIERS) as unknown) : undefined),
  });
}
