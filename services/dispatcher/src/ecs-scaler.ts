import { OutpostError } from '@outpost/shared';
import { DescribeServicesCommand, UpdateServiceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { TierName } from '@outpost/shared';
import type { PoolObservation, Scaler } from './scaler.js';

/** A tier's ECS service is missing or not ACTIVE. */
export class EcsServiceNotFoundError extends OutpostError {
  override readonly name = 'EcsServiceNotFoundError';
  readonly code = 'config';
  constructor(
    readonly cluster: string,
    readonly service: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`ECS service ${service} in cluster ${cluster}: ${reason}`, options);
  }
}

export interface EcsScalerOptions {
  ecs: ECSClient;
  cluster: string;
  /** ECS service name of a tier's workers. */
  serviceName: (tier: TierName) => string;
}

/**
 * One ECS service per tier: the desired count is the worker count. Scale-in is safe because a
 * worker sets task scale-in protection while it holds a run, so ECS stops idle tasks only.
 */
export class EcsScaler implements Scaler {
  readonly source = 'ecs' as const;

  constructor(private readonly opts: EcsScalerOptions) {}

  async observe(tier: TierName): Promise<PoolObservation> {
    const service = this.opts.serviceName(tier);
    const out = await this.opts.ecs.send(new DescribeServicesCommand({ cluster: this.opts.cluster, services: [service] }));
    const found = out.services?.find((s) => s.serviceName === service || s.serviceArn?.endsWith(`/${service}`));
    if (!found) {
      const failure = out.failures?.[0];
      throw new EcsServiceNotFoundError(this.opts.cluster, service, failure?.reason ?? 'not found');
    }
    if (found.status && found.status !== 'ACTIVE') throw new EcsServiceNotFoundError(this.opts.cluster, service, `status ${found.status}`);
    return { desired: found.desiredCount ?? 0, running: found.runningCount ?? 0, pending: found.pendingCount ?? 0 };
  }

  async apply(tier: TierName, desired: number, seen?: PoolObservation): Promise<void> {
    if (seen && seen.desired === desired) return;
    await this.opts.ecs.send(
      new UpdateServiceCommand({ cluster: this.opts.cluster, service: this.opts.serviceName(tier), desiredCount: desired }),
    );
  }

  async stop(): Promise<void> {
    // Nothing held: the ECS services keep running without the dispatcher.
  }
}
