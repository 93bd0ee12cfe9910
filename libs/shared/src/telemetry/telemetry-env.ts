import { z } from 'zod';

/** `k=v,k=v` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS), values percent-decoded as the spec says. */
const KeyValueList = z.string().transform((text, ctx) => {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      ctx.addIssue({ code: 'custom', message: 'a comma-separated list of key=value' });
      return z.NEVER;
    }
    try {
      out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `bad percent-encoding in ${part.slice(0, eq).trim()}` });
      return z.NEVER;
    }
  }
  return out;
});

const Exporter = z.enum(['otlp', 'none']);

/**
 * The standard OpenTelemetry variables Outpost reads (every service). Telemetry is off unless an
 * OTLP endpoint or an `otlp` exporter is named, so local mode exports nothing by default.
 */
export const TelemetryEnv = z.object({
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false').describe('`true` turns traces and metrics off whatever else is set.'),
  OTEL_SERVICE_NAME: z.string().min(1).optional().describe('The service name on traces and metrics (default: the service\'s own, e.g. `outpost-worker`).'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url()
    .optional()
    .describe('OTLP/HTTP base URL (e.g. `http://127.0.0.1:4318`, the collector sidecar in aws mode); traces go to `/v1/traces`, metrics to `/v1/metrics`. Setting it turns telemetry on.'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional().describe('Full URL for traces, overriding the base endpoint.'),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: z.url().optional().describe('Full URL for metrics, overriding the base endpoint.'),
  OTEL_EXPORTER_OTLP_HEADERS: KeyValueList.optional().describe('Headers on every export, `k=v,k=v` (e.g. a vendor\'s API key). Never logged.'),
  OTEL_TRACES_EXPORTER: Exporter.optional().describe('`otlp` or `none` (default `otlp` when an endpoint is set, else `none`).'),
  OTEL_METRICS_EXPORTER: Exporter.optional().describe('`otlp` or `none` (default `otlp` when an endpoint is set, else `none`).'),
  OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(100).default(60_000).describe('Milliseconds between metric exports.'),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on')
    .describe('Which traces are kept; a run\'s spans follow the decision made at its dispatch (parent based).'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1).describe('The ratio for the `traceidratio` samplers.'),
  OTEL_RESOURCE_ATTRIBUTES: KeyValueList.optional().describe('Extra resource attributes, `k=v,k=v` (e.g. `deployment.environment=prod`).'),
});
export type TelemetryEnv = z.infer<typeof TelemetryEnv>;

/** What startTelemetry needs, in the shape code wants. */
export interface TelemetrySettings {
  serviceName: string | undefined;
  /** Where OTLP traces go; undefined: no trace export. */
  tracesUrl: string | undefined;
  /** Where OTLP metrics go; undefined: no metric export. */
  metricsUrl: string | undefined;
  headers: Record<string, string>;
  metricIntervalMs: number;
  sampler: TelemetryEnv['OTEL_TRACES_SAMPLER'];
  samplerRatio: number;
  resourceAttributes: Record<string, string>;
}

function exportUrl(kind: 'traces' | 'metrics', env: TelemetryEnv): string | undefined {
  const exporter = kind === 'traces' ? env.OTEL_TRACES_EXPORTER : env.OTEL_METRICS_EXPORTER;
  if (env.OTEL_SDK_DISABLED === 'true' || exporter === 'none') return undefined;
  const specific = kind === 'traces' ? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT : env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (specific) return specific;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/${kind}`;
  // `otlp` named with no endpoint: the spec's default, a collector on this host.
  return exporter === 'otlp' ? `http://localhost:4318/v1/${kind}` : undefined;
}

/** The parsed OTEL_* variables in the shape startTelemetry wants (BaseEnv parses them with the rest). */
export function toTelemetrySettings(parsed: TelemetryEnv): TelemetrySettings {
  return {
    serviceName: parsed.OTEL_SERVICE_NAME,
    tracesUrl: exportUrl('traces', parsed),
    metricsUrl: exportUrl('metrics', parsed),
    headers: parsed.OTEL_EXPORTER_OTLP_HEADERS ?? {},
    metricIntervalMs: parsed.OTEL_METRIC_EXPORT_INTERVAL,
    sampler: parsed.OTEL_TRACES_SAMPLER,
    samplerRatio: parsed.OTEL_TRACES_SAMPLER_ARG,
    resourceAttributes: parsed.OTEL_RESOURCE_ATTRIBUTES ?? {},
  };
}
