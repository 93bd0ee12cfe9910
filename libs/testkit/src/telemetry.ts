import { startTelemetry, type Telemetry } from '@outpost/shared';
import { DataPointType, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** Reads metrics when asked (no timer, no export): what a test looks at after its runs. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface MemoryTelemetry {
  telemetry: Telemetry;
  /** Every ended span so far. */
  spans(): ReadableSpan[];
  /**
   * A metric now: a counter's sum, a histogram's count, a gauge's last value, over the data points
   * whose attributes include `attributes`; 0 when none match.
   */
  metric(name: string, attributes?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

function matches(point: { attributes: Record<string, unknown> }, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => point.attributes[k] === v);
}

function valueOf(metric: MetricData, wanted: Record<string, string>): number {
  let total = 0;
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    for (const p of metric.dataPoints) if (matches(p, wanted)) total += p.value.count;
  } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    for (const p of metric.dataPoints) if (matches(p, wanted)) total += p.value;
  }
  return total;
}

/** Real telemetry for this test process, exporting to memory instead of OTLP. */
export function startMemoryTelemetry(serviceName = 'outpost-test'): MemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const reader = new OnDemandReader();
  const telemetry = startTelemetry({ serviceName, env: {}, spanExporter: exporter, metricReader: reader });
  return {
    telemetry,
    spans: () => exporter.getFinishedSpans(),
    metric: async (name, attributes = {}) => {
      const { resourceMetrics } = await reader.collect();
      let total = 0;
      for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) if (m.descriptor.name === name) total += valueOf(m, attributes);
      return total;
    },
    stop: () => telemetry.shutdown(),
  };
}
