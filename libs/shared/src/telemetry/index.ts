export { loadTelemetrySettings, startTelemetry, type Telemetry, type TelemetryOptions } from './start-telemetry.js';
export { TelemetryEnv, toTelemetrySettings, type TelemetrySettings } from './telemetry-env.js';
export { contextOfTraceparent, errorType, linkToActive, runAttributes, SpanKind, SpanStatusCode, traceparentOf, tracer, untraced, withIncomingTrace, withSpan, type Context, type Span, type SpanOptions } from './tracing.js';
export { jobContext, traceAttributes, TRACEPARENT_ATTRIBUTE } from './job-trace.js';
export { traceAwsClient } from './aws-tracing.js';
export { instruments, METRIC_NAMES, recordFleetReading, type Instruments } from './instruments.js';
export { recordModelUsage, recordRunDispatched, recordRunEnded, recordRunLeased, recordWebhookDelivery } from './run-metrics.js';
