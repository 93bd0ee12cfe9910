import { metrics, type Counter, type Histogram, type ObservableGauge } from '@opentelemetry/api';

/**
 * Every metric Outpost records, by its OpenTelemetry name. The collector turns them into
 * CloudWatch metrics (infra/src/stacks/telemetry.ts) and the alarms read them by these names.
 */
export const METRIC_NAMES = {
  runsDispatched: 'outpost.runs.dispatched',
  runsFinished: 'outpost.runs.finished',
  queueWait: 'outpost.run.queue_wait',
  runDuration: 'outpost.run.duration',
  queueBacklog: 'outpost.queue.backlog',
  poolWorkers: 'outpost.pool.workers',
  modelTokens: 'outpost.model.tokens',
  modelCost: 'outpost.model.cost',
  webhookDeliveries: 'outpost.webhook.deliveries',
} as const;

export interface Instruments {
  runsDispatched: Counter;
  runsFinished: Counter;
  queueWait: Histogram;
  runDuration: Histogram;
  queueBacklog: ObservableGauge;
  poolWorkers: ObservableGauge;
  modelTokens: Counter;
  modelCost: Counter;
  webhookDeliveries: Counter;
}

/** Seconds, from a few milliseconds of queue wait to a run's longest timeout. */
const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

/** Last reading per tier of what the dispatcher sees; the gauges report it at each export. */
const fleetReadings = new Map<string, { backlog: number; workers: number }>();

let current: Instruments | undefined;

/**
 * The instruments on the meter provider registered now. The metrics API has no proxy provider,
 * so instruments made before startTelemetry would stay no-ops: they are made on first use and
 * made again after the provider changes.
 */
export function instruments(): Instruments {
  if (current) return current;
  const meter = metrics.getMeter('outpost');
  const queueBacklog = meter.createObservableGauge(METRIC_NAMES.queueBacklog, { description: 'Jobs waiting in the tier\'s queue (visible plus delayed)', unit: '{job}' });
  const poolWorkers = meter.createObservableGauge(METRIC_NAMES.poolWorkers, { description: 'Workers the tier\'s pool holds', unit: '{worker}' });
  queueBacklog.addCallback((r) => {
    for (const [tier, v] of fleetReadings) r.observe(v.backlog, { tier });
  });
  poolWorkers.addCallback((r) => {
    for (const [tier, v] of fleetReadings) r.observe(v.workers, { tier });
  });
  current = {
    runsDispatched: meter.createCounter(METRIC_NAMES.runsDispatched, { description: 'Runs created by dispatch', unit: '{run}' }),
    runsFinished: meter.createCounter(METRIC_NAMES.runsFinished, { description: 'Runs that reached a terminal status', unit: '{run}' }),
    queueWait: meter.createHistogram(METRIC_NAMES.queueWait, {
      description: 'From queued to leased by a worker',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    runDuration: meter.createHistogram(METRIC_NAMES.runDuration, {
      description: 'From the last lease to the terminal write',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    queueBacklog,
    poolWorkers,
    modelTokens: meter.createCounter(METRIC_NAMES.modelTokens, { description: 'Model tokens through the gateway', unit: '{token}' }),
    modelCost: meter.createCounter(METRIC_NAMES.modelCost, { description: 'Model spend through the gateway', unit: 'USD' }),
    webhookDeliveries: meter.createCounter(METRIC_NAMES.webhookDeliveries, { description: 'Webhook delivery attempts by outcome', unit: '{delivery}' }),
  };
  return current;
}

/** Forgets the instruments (the meter provider changed). */
export function resetInstruments(): void {
  current = undefined;
  fleetReadings.clear();
}

/** The dispatcher's reading of one tier, reported by the backlog and pool gauges. */
export function recordFleetReading(tier: string, reading: { backlog: number; workers: number }): void {
  fleetReadings.set(tier, reading);
}
