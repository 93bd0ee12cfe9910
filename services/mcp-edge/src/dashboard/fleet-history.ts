import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TIER_NAMES, type Clock, type Logger, type QueueDirectory, type TierName } from '@outpost/shared';

/** Minutes of history kept (the fleet page charts the last hour). */
export const HISTORY_MINUTES = 60;
const MINUTE_MS = 60_000;

/** One sample: the minute it was taken in (epoch ms, floored) and each tier's queue depth. */
interface Sample {
  minute: number;
  depth: Record<TierName, number>;
}

/**
 * Queue depth per tier, sampled by this edge once a minute from the first fleet page view on (a
 * process that nobody looks at samples nothing). In memory: a restarted edge starts a fresh hour,
 * and the chart shows the minutes before its first sample as gaps.
 */
export class FleetHistory {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly opts: { sqs: SQSClient; queues: QueueDirectory; clock: Clock; logger: Logger },
  ) {}

  /** Starts sampling (idempotent); the first sample is taken now. */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), MINUTE_MS);
      this.timer.unref();
      return this.tick();
    }
    return this.sampling ?? Promise.resolve();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample; never overlaps and never throws (a failed sample is a gap in the chart). */
  tick(): Promise<void> {
    this.sampling ??= (async () => {
      try {
        const depths = await Promise.all(TIER_NAMES.map(async (tier) => [tier, await this.depth(tier)] as const));
        const minute = Math.floor(this.opts.clock.now().getTime() / MINUTE_MS) * MINUTE_MS;
        const sample = { minute, depth: Object.fromEntries(depths) as Record<TierName, number> };
        if (this.samples[this.samples.length - 1]?.minute === minute) this.samples[this.samples.length - 1] = sample;
        else this.samples.push(sample);
        while (this.samples.length > HISTORY_MINUTES) this.samples.shift();
      } catch (err) {
        this.opts.logger.warn({ err }, 'fleet history sample failed');
      } finally {
        this.sampling = undefined;
      }
    })();
    return this.sampling;
  }

  /** The queue depth of each of the last HISTORY_MINUTES minutes (null where none was sampled). */
  depths(tier: TierName): { minute: number; depth: number | null }[] {
    const now = Math.floor(this.opts.clock.now().getTime() / MINUTE_MS) * MINUTE_MS;
    const byMinute = new Map(this.samples.map((s) => [s.minute, s.depth[tier]]));
    return Array.from({ length: HISTORY_MINUTES }, (_, i) => {
      const minute = now - (HISTORY_MINUTES - 1 - i) * MINUTE_MS;
      return { minute, depth: byMinute.get(minute) ?? null };
    });
  }

  private async depth(tier: TierName): Promise<number> {
    const out = await this.opts.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await this.opts.queues.jobsUrl(tier), AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
}
