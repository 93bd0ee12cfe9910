import { LeaseLostError, untraced, type Logger, type RunRecord, type RunStore } from '@outpost/shared';

export interface LeaseKeeperOptions {
  runs: Pick<RunStore, 'renewLease'>;
  tenantId: string;
  runId: string;
  leaseToken: string;
  leaseMs: number;
  renewMs: number;
  logger: Logger;
  /** A cancel was requested (seen on a renewal). Called once. */
  onCancel: (reason: string) => void;
  /** The lease is gone (taken over, or it expired while DynamoDB could not be reached). Called once. */
  onLost: (err: Error) => void;
}

/**
 * Renews a run's lease every `renewMs` while the run lasts; a renewal also reports a cancel
 * request. Ticks never overlap. When DynamoDB is unreachable the keeper keeps trying, but once the
 * lease would have expired it reports the lease lost: another worker may own the run by then.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastRenewed = Date.now();
  private cancelled = false;
  private lost = false;

  constructor(private readonly o: LeaseKeeperOptions) {}

  start(): void {
    this.lastRenewed = Date.now();
    // Renewals are not traced: a run's trace would hold one span per 2 s.
    this.timer = untraced(() => setInterval(() => void this.tick(), this.o.renewMs));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async tick(): Promise<void> {
    if (this.ticking || this.lost) return;
    this.ticking = true;
    try {
      const run: RunRecord = await this.o.runs.renewLease({
        tenantId: this.o.tenantId,
        runId: this.o.runId,
        leaseToken: this.o.leaseToken,
        leaseMs: this.o.leaseMs,
      });
      this.lastRenewed = Date.now();
      if (run.cancelRequestedAt && !this.cancelled) {
        this.cancelled = true;
        this.o.onCancel(run.cancelReason ?? 'cancelled by request');
      }
    } catch (err) {
      if (err instanceof LeaseLostError) return this.loseLease(err);
      this.o.logger.warn({ err }, 'lease renewal failed; retrying');
      if (Date.now() - this.lastRenewed >= this.o.leaseMs) this.loseLease(new Error('lease expired while it could not be renewed', { cause: err }));
    } finally {
      this.ticking = false;
    }
  }

  private loseLease(err: Error): void {
    if (this.lost) return;
    this.lost = true;
    this.stop();
    this.o.onLost(err);
  }
}
