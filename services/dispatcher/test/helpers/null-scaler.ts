import type { PoolObservation, Scaler } from '../../src/scaler.js';

/** A scaler with no pool, for tests of the recovery parts of the loop. */
export class NullScaler implements Scaler {
  readonly source = 'local' as const;
  async observe(): Promise<PoolObservation> {
    return { desired: 0, running: 0, pending: 0 };
  }
  async apply(): Promise<void> {}
  async stop(): Promise<void> {}
}
