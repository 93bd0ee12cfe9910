import path from 'node:path';
import { describe, it, expect } from '@jest/globals';
import { z } from 'zod';
import { BaseEnv, checkBaseEnv, ConfigError, loadBaseConfig, parseEnv, toBaseConfig } from '../src/config/config.js';
import { DEFAULT_TIERS, resolveTiers } from '../src/config/tiers.js';

const LOCAL = {
  OUTPOST_DYNAMODB_ENDPOINT: 'http://127.0.0.1:7401',
  OUTPOST_SQS_ENDPOINT: 'http://127.0.0.1:7402',
  OUTPOST_S3_ENDPOINT: 'http://127.0.0.1:7402',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  describe('defaults', () => {
    it('local mode with endpoints gives the documented defaults', () => {
      const config = loadBaseConfig(LOCAL);
      expect(config).toEqual({
        mode: 'local',
        env: 'local',
        prefix: 'outpost',
        region: 'us-east-1',
        endpoints: { dynamodb: LOCAL.OUTPOST_DYNAMODB_ENDPOINT, sqs: LOCAL.OUTPOST_SQS_ENDPOINT, s3: LOCAL.OUTPOST_S3_ENDPOINT },
        home: path.resolve('.outpost'),
        logLevel: 'info',
        tiers: DEFAULT_TIERS,
        maxAttempts: 3,
        // Off by default: no OTEL_* variable names an exporter.
        telemetry: expect.objectContaining({ tracesUrl: undefined, metricsUrl: undefined }),
      });
    });

    it('never echoes a credential in a refusal: headers, secrets and keys are described by length', () => {
      const token = 'Authorization=Bearer s3cr3tT0kenValue,broken';
      const headers = configError(() => loadBaseConfig({ ...LOCAL, OTEL_EXPORTER_OTLP_HEADERS: token })).message;
      expect(headers).toContain('OTEL_EXPORTER_OTLP_HEADERS');
      expect(headers).not.toContain('s3cr3tT0ken');
      expect(headers).toContain(`a value of ${token.length} characters (not shown)`);
      const secret = configError(() => loadBaseConfig({ ...LOCAL, OUTPOST_LOCAL_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE12', OUTPOST_LOCAL_SECRET_ACCESS_KEY: 'tooShortSecretValue' })).message;
      expect(secret).not.toContain('tooShortSecretValue');
    });

    it('reads the OTEL_* variables with the rest, and names a bad one', () => {
      const config = loadBaseConfig({ ...LOCAL, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'edge-7' });
      expect(config.telemetry).toMatchObject({ tracesUrl: 'http://127.0.0.1:4318/v1/traces', metricsUrl: 'http://127.0.0.1:4318/v1/metrics', serviceName: 'edge-7' });
      expect(configError(() => loadBaseConfig({ ...LOCAL, OTEL_METRIC_EXPORT_INTERVAL: 'soon' })).problems.map((p) => p.variable)).toEqual(['OTEL_METRIC_EXPORT_INTERVAL']);
    });

    it('aws mode needs no endpoints', () => {
      const config = loadBaseConfig({ OUTPOST_MODE: 'aws', AWS_REGION: 'eu-west-1', OUTPOST_ENV: 'prod' });
      expect(config).toMatchObject({ mode: 'aws', region: 'eu-west-1', env: 'prod', endpoints: {} });
    });

    it('empty strings count as unset', () => {
      expect(loadBaseConfig({ ...LOCAL, OUTPOST_MODE: '', OUTPOST_MAX_ATTEMPTS: '' })).toMatchObject({ mode: 'local', maxAttempts: 3 });
    });

    it('tier overrides merge over the defaults', () => {
      const config = loadBaseConfig({ ...LOCAL, OUTPOST_TIERS: '{"free":{"runsPerDay":20},"enterprise":{"minWorkers":0}}' });
      expect(config.tiers.free).toEqual({ ...DEFAULT_TIERS.free, runsPerDay: 20 });
      expect(config.tiers.enterprise.minWorkers).toBe(0);
      expect(config.tiers.pro).toEqual(DEFAULT_TIERS.pro);
    });

    it('budget fields override like the others; a null monthly spend is unlimited', () => {
      const config = loadBaseConfig({
        ...LOCAL,
        OUTPOST_TIERS: '{"free":{"monthlySpendUsd":25.5,"defaultMaxCostUsd":0.5},"pro":{"maxCostUsdCeiling":80,"monthlySpendUsd":null}}',
      });
      expect(config.tiers.free).toEqual({ ...DEFAULT_TIERS.free, monthlySpendUsd: 25.5, defaultMaxCostUsd: 0.5 });
      expect(config.tiers.pro).toMatchObject({ defaultMaxCostUsd: 5, maxCostUsdCeiling: 80, monthlySpendUsd: null });
      expect(config.tiers.enterprise.monthlySpendUsd).toBeNull();
    });
  });

  describe('errors name the variable and what is allowed', () => {
    it.each([
      ['OUTPOST_MODE', { OUTPOST_MODE: 'foo' }, /must be one of local, aws; got "foo"/],
      ['OUTPOST_LOG_LEVEL', { OUTPOST_LOG_LEVEL: 'loud' }, /must be one of fatal, error, warn, info, debug, trace, silent/],
      ['OUTPOST_MAX_ATTEMPTS', { OUTPOST_MAX_ATTEMPTS: 'many' }, /got "many"/],
      ['OUTPOST_MAX_ATTEMPTS', { OUTPOST_MAX_ATTEMPTS: '0' }, />=\s*1|at least 1|too small/i],
      ['OUTPOST_PREFIX', { OUTPOST_PREFIX: 'Bad_Prefix' }, /lowercase letters, digits and dashes/],
      ['OUTPOST_DYNAMODB_ENDPOINT', { OUTPOST_DYNAMODB_ENDPOINT: 'not a url' }, /got "not a url"/],
      ['OUTPOST_TIERS', { OUTPOST_TIERS: '{not json' }, /must be valid JSON/],
      ['OUTPOST_TIERS', { OUTPOST_TIERS: '{"gold":{}}' }, /gold/],
      ['OUTPOST_TIERS', { OUTPOST_TIERS: '[1,2]' }, /OUTPOST_TIERS/],
    ])('%s: %j', (variable, bad, allowed) => {
      const err = configError(() => loadBaseConfig({ ...LOCAL, ...bad }));
      expect(err.problems.map((p) => p.variable)).toContain(variable);
      expect(err.message).toContain(variable);
      expect(err.message).toMatch(allowed);
    });

    it.each([
      ['a negative number', '{"free":{"runsPerDay":-1}}', /free\.runsPerDay/],
      ['a wrong type', '{"pro":{"spot":"yes"}}', /pro\.spot/],
      ['min above max', '{"pro":{"minWorkers":20}}', /minWorkers must be ≤ maxWorkers/],
      ['an unknown field (a typo)', '{"free":{"runsPerDya":20}}', /runsPerDya/],
      ['a zero run budget', '{"free":{"defaultMaxCostUsd":0}}', /free\.defaultMaxCostUsd/],
      ['a negative monthly spend', '{"pro":{"monthlySpendUsd":-5}}', /pro\.monthlySpendUsd/],
      ['a string ceiling', '{"pro":{"maxCostUsdCeiling":"50"}}', /pro\.maxCostUsdCeiling/],
      ['a default run budget above the ceiling', '{"free":{"defaultMaxCostUsd":3}}', /defaultMaxCostUsd must be ≤ maxCostUsdCeiling/],
    ])('OUTPOST_TIERS with %s names the tier field', (_label, json, allowed) => {
      const err = configError(() => loadBaseConfig({ ...LOCAL, OUTPOST_TIERS: json }));
      expect(err.problems[0]?.variable).toBe('OUTPOST_TIERS');
      expect(err.message).toMatch(allowed);
    });

    it('local mode without endpoints names each missing variable', () => {
      const err = configError(() => loadBaseConfig({}));
      expect(err.problems.map((p) => p.variable).sort()).toEqual(['OUTPOST_DYNAMODB_ENDPOINT', 'OUTPOST_S3_ENDPOINT', 'OUTPOST_SQS_ENDPOINT']);
      expect(err.message).toMatch(/required in local mode/);
    });

    it('reports every bad variable at once', () => {
      const err = configError(() => loadBaseConfig({ ...LOCAL, OUTPOST_MODE: 'foo', OUTPOST_LOG_LEVEL: 'loud' }));
      expect(err.problems.map((p) => p.variable).sort()).toEqual(['OUTPOST_LOG_LEVEL', 'OUTPOST_MODE']);
    });

    it('a service schema built with BaseEnv.extend reports its own variables, and a long value is shortened', () => {
      const ServiceEnv = BaseEnv.extend({ OUTPOST_PORT: z.coerce.number().int().min(1).max(65_535).default(80) });
      const err = configError(() => parseEnv(ServiceEnv.superRefine(checkBaseEnv), { ...LOCAL, OUTPOST_PORT: '9'.repeat(100) }));
      expect(err.problems[0]?.variable).toBe('OUTPOST_PORT');
      expect(err.message).toContain('…');
      expect(toBaseConfig(parseEnv(ServiceEnv, { ...LOCAL, OUTPOST_PORT: '8080' })).mode).toBe('local');
    });
  });

  describe('resolveTiers()', () => {
    it('returns the DESIGN.md defaults without overrides', () => {
      const tiers = resolveTiers();
      expect(tiers.free).toMatchObject({ activeRunsPerTenant: 1, runsPerDay: 10, maxTimeoutSeconds: 600, retentionDays: 7, minWorkers: 0, maxWorkers: 2, spot: true });
      expect(tiers.pro).toMatchObject({ activeRunsPerTenant: 5, runsPerDay: 500, maxTimeoutSeconds: 3600, retentionDays: 30, minWorkers: 0, maxWorkers: 10 });
      expect(tiers.enterprise).toMatchObject({ activeRunsPerTenant: 25, runsPerDay: null, maxTimeoutSeconds: 6 * 3600, retentionDays: 90, minWorkers: 1, maxWorkers: 50 });
    });

    it('gives each tier a default run budget, a ceiling for it and a monthly spend limit (enterprise: none)', () => {
      const tiers = resolveTiers();
      expect(tiers.free).toMatchObject({ defaultMaxCostUsd: 1, maxCostUsdCeiling: 2, monthlySpendUsd: 10 });
      expect(tiers.pro).toMatchObject({ defaultMaxCostUsd: 5, maxCostUsdCeiling: 50, monthlySpendUsd: 500 });
      expect(tiers.enterprise).toMatchObject({ defaultMaxCostUsd: 20, maxCostUsdCeiling: 500, monthlySpendUsd: null });
    });
  });
});
