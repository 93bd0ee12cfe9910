import { OutpostError } from '../core/errors.js';
import path from 'node:path';
import { z } from 'zod';
import { resolveTiers, TierName, type TierLimits, type TierTable } from './tiers.js';
import { TelemetryEnv, toTelemetrySettings, type TelemetrySettings } from '../telemetry/telemetry-env.js';

/** A configuration error that names each bad variable and what it accepts. */
export class ConfigError extends OutpostError {
  override readonly name = 'ConfigError';
  readonly code = 'config';
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
  }
}

/** An environment variable holding JSON, parsed (pipe it into the schema of what it holds). */
export const JsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
    return z.NEVER;
  }
});

/**
 * Variables every service reads. Each key is the environment variable itself, so the
 * configuration reference (docs/configuration.md) is generated from these schemas.
 */
export const BaseEnv = z.object({
  OUTPOST_MODE: z
    .enum(['local', 'aws'])
    .default('local')
    .describe('`local`: embedded emulators on 127.0.0.1; `aws`: the real services.'),
  OUTPOST_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'lowercase letters, digits and dashes, starting with a letter')
    .default('local')
    .describe('Environment name: part of the SSM path `/outpost/{env}/…`.'),
  OUTPOST_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,40}$/, 'lowercase letters, digits and dashes, starting with a letter')
    .default('outpost')
    .describe('Prefix of every table, queue and bucket name.'),
  AWS_REGION: z.string().min(1).default('us-east-1').describe('AWS region (also used by the emulators).'),
  OUTPOST_DYNAMODB_ENDPOINT: z.url().optional().describe('DynamoDB endpoint; required in local mode.'),
  OUTPOST_SQS_ENDPOINT: z.url().optional().describe('SQS endpoint; required in local mode.'),
  OUTPOST_S3_ENDPOINT: z.url().optional().describe('S3 endpoint; required in local mode.'),
  OUTPOST_LOCAL_ACCESS_KEY_ID: z
    .string()
    .regex(/^[A-Z0-9]{16,128}$/, 'upper-case letters and digits, 16 to 128 of them')
    .optional()
    .describe(
      'Local mode: the access key id the emulators accept (SigV4). `npm start` makes the pair, keeps it in `.outpost/credentials.json` (0600) and sets both variables for the services; admin commands read the file.',
    ),
  OUTPOST_LOCAL_SECRET_ACCESS_KEY: z
    .string()
    .min(40, 'at least 40 characters')
    .optional()
    .describe('Local mode: the secret of `OUTPOST_LOCAL_ACCESS_KEY_ID`. Never given to agents.'),
  OUTPOST_HOME: z
    .string()
    .min(1)
    .default('.outpost')
    .describe('Directory for local state (emulator data, local.json, credentials.json, local secrets, endpoints.json, fleet overrides); `npm start` keeps it private to its user (directories 0700, files 0600).'),
  OUTPOST_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of the JSON logs.'),
  OUTPOST_TIERS: JsonText
    .pipe(z.partialRecord(TierName, z.record(z.string(), z.unknown())))
    .optional()
    .describe('JSON overrides of the tier table, e.g. `{"free":{"runsPerDay":20}}`.'),
  OUTPOST_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe('Times a run is leased before it is failed for good.'),
  // OpenTelemetry's standard variables: every service exports traces and metrics the same way.
  ...TelemetryEnv.shape,
});
export type BaseEnv = z.infer<typeof BaseEnv>;

/** Endpoints the AWS clients talk to; undefined means the real AWS endpoint. */
export interface Endpoints {
  dynamodb?: string;
  sqs?: string;
  s3?: string;
}

/** The settings every service shares, in the shape code wants. */
export interface BaseConfig {
  mode: 'local' | 'aws';
  env: string;
  prefix: string;
  region: string;
  endpoints: Endpoints;
  /** Local mode: the stack's key pair, which the emulators require (SigV4). Unset in aws mode. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  home: string;
  logLevel: string;
  tiers: TierTable;
  maxAttempts: number;
  /** Traces and metrics (OTEL_*); absent: off. */
  telemetry?: TelemetrySettings;
}

type EnvSource = Record<string, string | undefined>;

/** Parses `env` against `schema`; a failure throws a ConfigError naming each variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: EnvSource = process.env): z.infer<S> {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const cleaned: EnvSource = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(config)'),
      message: describeIssue(issue, cleaned[String(issue.path[0])], String(issue.path[0] ?? '')),
    })),
  );
}

/** Variables whose value is a credential: a refusal says how long it is, never what it is. */
const SECRET_VARIABLE = /SECRET|TOKEN|PASSWORD|HEADERS|_KEY$|API_KEY/;

function describeIssue(issue: z.core.$ZodIssue, value: string | undefined, variable: string): string {
  const shown = value !== undefined && SECRET_VARIABLE.test(variable) ? undefined : value;
  const got =
    value === undefined
      ? 'it is not set'
      : shown === undefined
        ? `got a value of ${value.length} characters (not shown)`
        : `got ${JSON.stringify(shown.length > 80 ? `${shown.slice(0, 80)}…` : shown)}`;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${issue.values.map(String).join(', ')}; ${got}`;
  }
  const where = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
  return `${issue.message}${where}; ${got}`;
}

/** Cross-field rules of BaseEnv, reusable by services that extend it. */
export function checkBaseEnv(env: BaseEnv, ctx: z.RefinementCtx): void {
  if (env.OUTPOST_MODE !== 'local') return;
  for (const key of ['OUTPOST_DYNAMODB_ENDPOINT', 'OUTPOST_SQS_ENDPOINT', 'OUTPOST_S3_ENDPOINT'] as const) {
    if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required in local mode (npm start sets it)' });
  }
  const [id, secret] = [env.OUTPOST_LOCAL_ACCESS_KEY_ID, env.OUTPOST_LOCAL_SECRET_ACCESS_KEY];
  if ((id === undefined) !== (secret === undefined)) {
    const key = id === undefined ? 'OUTPOST_LOCAL_ACCESS_KEY_ID' : 'OUTPOST_LOCAL_SECRET_ACCESS_KEY';
    ctx.addIssue({ code: 'custom', path: [key], message: 'set both OUTPOST_LOCAL_ACCESS_KEY_ID and OUTPOST_LOCAL_SECRET_ACCESS_KEY, or neither' });
  }
}

/** Turns parsed BaseEnv variables into a BaseConfig; tier overrides are validated here. */
export function toBaseConfig(env: BaseEnv): BaseConfig {
  let tiers: TierTable;
  try {
    tiers = resolveTiers((env.OUTPOST_TIERS ?? {}) as Partial<Record<TierName, Partial<TierLimits>>>);
  } catch (err) {
    const issues = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(err);
    throw new ConfigError([{ variable: 'OUTPOST_TIERS', message: issues }]);
  }
  return {
    mode: env.OUTPOST_MODE,
    env: env.OUTPOST_ENV,
    prefix: env.OUTPOST_PREFIX,
    region: env.AWS_REGION,
    endpoints: {
      ...(env.OUTPOST_DYNAMODB_ENDPOINT ? { dynamodb: env.OUTPOST_DYNAMODB_ENDPOINT } : {}),
      ...(env.OUTPOST_SQS_ENDPOINT ? { sqs: env.OUTPOST_SQS_ENDPOINT } : {}),
      ...(env.OUTPOST_S3_ENDPOINT ? { s3: env.OUTPOST_S3_ENDPOINT } : {}),
    },
    ...(env.OUTPOST_MODE === 'local' && env.OUTPOST_LOCAL_ACCESS_KEY_ID && env.OUTPOST_LOCAL_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.OUTPOST_LOCAL_ACCESS_KEY_ID, secretAccessKey: env.OUTPOST_LOCAL_SECRET_ACCESS_KEY } }
      : {}),
    home: path.resolve(env.OUTPOST_HOME),
    logLevel: env.OUTPOST_LOG_LEVEL,
    tiers,
    maxAttempts: env.OUTPOST_MAX_ATTEMPTS,
    telemetry: toTelemetrySettings(env),
  };
}

/** Loads the shared settings from the environment. */
export function loadBaseConfig(env: EnvSource = process.env): BaseConfig {
  return toBaseConfig(parseEnv(BaseEnv.superRefine(checkBaseEnv), env));
}
