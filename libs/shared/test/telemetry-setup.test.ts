import { describe, it, expect } from '@jest/globals';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { ConfigError } from '../src/config/config.js';
import { instruments } from '../src/telemetry/instruments.js';

import { loadTelemetrySettings, startTelemetry } from '../src/telemetry/start-telemetry.js';
import { traceparentOf, tracer, withSpan } from '../src/telemetry/tracing.js';

describe('telemetry settings (OTEL_*)', () => {
  it('is off with no OTEL variables: nothing is registered, spans do not record', async () => {
    const t = startTelemetry({ serviceName: 'outpost-test', env: {} });
    expect(t.enabled).toBe(false);
    await withSpan('nothing', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(traceparentOf()).toBeUndefined();
    });
  });

  it('derives the signal URLs from the base endpoint, and lets the specific ones and `none` win', () => {
    const s = loadTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' });
    expect(s.tracesUrl).toBe('http://127.0.0.1:4318/v1/traces');
    expect(s.metricsUrl).toBe('http://127.0.0.1:4318/v1/metrics');
    const t = loadTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/t',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(t.tracesUrl).toBe('https://traces.example/v1/t');
    expect(t.metricsUrl).toBeUndefined();
    expect(loadTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'true' }).tracesUrl).toBeUndefined();
    expect(loadTelemetrySettings({ OTEL_TRACES_EXPORTER: 'otlp' }).tracesUrl).toBe('http://localhost:4318/v1/traces');
  });

  it('parses headers and resource attributes as k=v lists (percent-decoded)', () => {
    const s = loadTelemetrySettings({ OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=a%3Db, x-team=ops', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod' });
    expect(s.headers).toEqual({ 'x-api-key': 'a=b', 'x-team': 'ops' });
    expect(s.resourceAttributes).toEqual({ 'deployment.environment': 'prod' });
  });

  it('names each bad variable', () => {
    let thrown: unknown;
    try {
      loadTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url', OTEL_TRACES_SAMPLER: 'sometimes', OTEL_RESOURCE_ATTRIBUTES: 'novalue' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_TRACES_SAMPLER']);
  });
});

describe('OTLP export to a collector over HTTP', () => {
  it('posts spans and metrics to /v1/traces and /v1/metrics with the configured headers and service name', async () => {
    const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('latin1') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const port = (collector.address() as AddressInfo).port;
    const t = startTelemetry({
      serviceName: 'outpost-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=k1', OTEL_METRIC_EXPORT_INTERVAL: '60000' },
    });
    try {
      expect(t.enabled).toBe(true);
      await withSpan('exported-span', {}, async (span) => {
        expect(span.isRecording()).toBe(true);
        expect(traceparentOf()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      });
      instruments().runsDispatched.add(2, { tier: 'free', agent: 'shell' });
      await t.forceFlush();
    } finally {
      await t.shutdown();
      collector.close();
    }
    const traces = received.find((r) => r.path === '/v1/traces');
    const metricPosts = received.filter((r) => r.path === '/v1/metrics');
    expect(traces?.headers['x-collector-key']).toBe('k1');
    // protobuf: the strings are there verbatim
    expect(traces?.body).toContain('exported-span');
    expect(traces?.body).toContain('outpost-test');
    expect(metricPosts.some((m) => m.body.includes('outpost.runs.dispatched'))).toBe(true);
    // After shutdown the globals are gone again: a later span does not record.
    expect(trace.getSpan(context.active())).toBeUndefined();
    expect(tracer().startSpan('after').isRecording()).toBe(false);
  });
});
