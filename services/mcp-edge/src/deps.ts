import type { AwsClients, BaseConfig, Clock, Logger, Stores } from '@outpost/shared';
import type { TenantContext } from './auth.js';
import type { SecretNameSource } from './stored-secret-names.js';

/** What every tool needs, shared by all requests of one edge process. */
export interface EdgeDeps {
  config: Pick<BaseConfig, 'mode' | 'prefix' | 'tiers' | 'maxAttempts'>;
  clients: Pick<AwsClients, 'sqs' | 's3'>;
  stores: Stores;
  /** Which secrets a tenant stored (names only), so dispatch refuses an agent that would lack its key. */
  secretNames: SecretNameSource;
  logger: Logger;
  clock: Clock;
  /** Aborted when the edge shuts down: long waits return early with what they have. */
  shutdown: AbortSignal;
}

/** The deps of one call: the shared ones plus the authenticated tenant. */
export interface ToolDeps extends EdgeDeps {
  tenant: TenantContext;
}
