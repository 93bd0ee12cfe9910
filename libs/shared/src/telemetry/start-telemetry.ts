import { context, diag, DiagLogLevel, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { assertNever } from '../core/assert-never.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { parseEnv } from '../config/config.js';
import { TelemetryEnv, toTelemetrySettings, type TelemetrySettings } from './telemetry-env.js';
import { resetInstruments } from './instruments.js';

export interface TelemetryOptions {
  /** The default service name (OTEL_SERVICE_NAME wins), e.g. `outpost-worker`. */
  serviceName: string;
  /** From the service's config (BaseConfig.telemetry); when absent, `env` is parsed. */
  settings?: TelemetrySettings;
  /** @default process.env */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Tests: spans go here (synchronously, one by one) instead of OTLP. */
  spanExporter?: SpanExporter;
  /** Tests: metrics are read by this reader instead of exported over OTLP. */
  metricReader?: IMetricReader;
}

/** The process's telemetry; `shutdown` flushes what is buffered and unregisters it. */
export interface Telemetry {
  readonly enabled: boolean;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };

/** Parses the OTEL_* variables alone (a ConfigError names each bad one). */
export function loadTelemetrySettings(env: Record<string, string | undefined> = process.env): TelemetrySettings {
  return toTelemetrySettings(parseEnv(TelemetryEnv, env));
}

function sampler(s: TelemetrySettings): Sampler {
  switch (s.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(s.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.samplerRatio) });
    default:
      return assertNever(s.sampler);
  }
}

/**
 * Starts traces and metrics for this process when the OTEL_* variables ask for it (or a test
 * hands in its exporters); otherwise registers nothing, and the API's no-op tracer and meter
 * cost next to nothing. Call once, at process start, before the first span.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const settings = options.settings ?? loadTelemetrySettings(options.env);
  const traces = options.spanExporter !== undefined || settings.tracesUrl !== undefined;
  const metered = options.metricReader !== undefined || settings.metricsUrl !== undefined;
  if (!traces && !metered) return OFF;
  const log = (options.logger ?? silentLogger).child({ component: 'telemetry' });
  // The SDK reports export failures through diag: warnings and errors reach our JSON log.
  diag.setLogger(
    {
      error: (msg) => log.warn({ detail: msg }, 'telemetry export problem'),
      warn: (msg) => log.warn({ detail: msg }, 'telemetry export problem'),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const resource = resourceFromAttributes({ ...settings.resourceAttributes, 'service.name': settings.serviceName ?? options.serviceName });
  const tasks: (() => Promise<void>)[] = [];
  const flushes: (() => Promise<void>)[] = [];
  if (traces) {
    const processor: SpanProcessor = options.spanExporter
      ? new SimpleSpanProcessor({ exporter: options.spanExporter })
      : new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers }) });
    const provider = new TracerProvider({ resource, sampler: sampler(settings), spanProcessors: [processor] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    flushes.push(() => provider.forceFlush());
    tasks.push(async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    });
  }
  if (metered) {
    const reader =
      options.metricReader ??
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: settings.metricsUrl, headers: settings.headers }),
        exportIntervalMillis: settings.metricIntervalMs,
        exportTimeoutMillis: Math.min(30_000, settings.metricIntervalMs),
      });
    const provider = new MeterProvider({ resource, readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    resetInstruments();
    flushes.push(() => provider.forceFlush());
    tasks.push(async () => {
      await provider.shutdown();
      metrics.disable();
      resetInstruments();
    });
  }
  // Where, without any credentials a URL may carry (userinfo, query).
  const where = (url: string | undefined, on: boolean) => (url ? `${new URL(url).origin}${new URL(url).pathname}` : on ? 'in memory' : 'off');
  log.info({ traces: where(settings.tracesUrl, traces), metrics: where(settings.metricsUrl, metered) }, 'telemetry on');
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    forceFlush: async () => {
      await Promise.all(flushes.map((f) => f()));
    },
    shutdown: () =>
      (stopped ??= (async () => {
        for (const task of tasks) await task().catch((err: unknown) => log.warn({ err }, 'telemetry shutdown failed'));
        diag.disable();
      })()),
  };
}
