import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileParameterStore, type Logger } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { Dispatcher, type DispatcherOptions } from '../src/dispatcher.js';
import type { PoolObservation, Scaler } from '../src/scaler.js';
import { openHarness, type Harness } from './helpers/stack.js';

class CountingScaler implements Scaler {
  readonly source = 'local' as const;
  observed = 0;
  failing = false;
  async observe(): Promise<PoolObservation> {
    this.observed++;
    if (this.failing) throw new Error('scaler is down');
    return { desired: 0, running: 0, pending: 0 };
  }
  async apply(): Promise<void> {}
  async stop(): Promise<void> {}
}

function capturingLogger(lines: { level: string; msg: string | undefined; obj: object }[]): Logger {
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, obj });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

describe('Dispatcher loop', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(async () => h.close());

  const make = (scaler: Scaler, extra: Partial<DispatcherOptions> = {}) =>
    new Dispatcher({
      sqs: h.stack.clients.sqs,
      stores: h.stores,
      scaler,
      params: new FileParameterStore(path.join(h.home, 'fleet.json')),
      env: h.stack.config.env,
      tiers: h.stack.config.tiers,
      tierNames: ['pro'],
      ...extra,
    });

  it('never overlaps ticks: a tick asked for while one runs joins it', async () => {
    const scaler = new CountingScaler();
    const d = make(scaler);
    const [a, b] = [d.tick(), d.tick()];
    expect(a).toBe(b);
    await a;
    expect(scaler.observed).toBe(1);
  });

  it('ticks every interval after start() and not after stop()', async () => {
    const scaler = new CountingScaler();
    const d = make(scaler, { intervalMs: 50 });
    d.start();
    await until(() => scaler.observed >= 3, { what: 'three ticks' });
    await d.stop();
    const after = scaler.observed;
    await new Promise((r) => setTimeout(r, 300)); // six intervals: a live loop would tick again
    expect(scaler.observed).toBe(after);
  });

  it('logs a failing part once, keeps the other parts going, and logs its recovery once', async () => {
    const lines: { level: string; msg: string | undefined; obj: object }[] = [];
    const scaler = new CountingScaler();
    scaler.failing = true;
    const d = make(scaler, { logger: capturingLogger(lines) });
    const [first] = await d.tick();
    await d.tick();
    expect(first?.deadLettered).toBe(0); // the DLQ part ran despite the scaler failing
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines.find((l) => l.level === 'error')?.obj).toMatchObject({ part: 'scale:pro' });
    scaler.failing = false;
    await d.tick();
    await d.tick();
    expect(lines.filter((l) => l.msg === 'dispatcher part recovered')).toHaveLength(1);
  });
});
