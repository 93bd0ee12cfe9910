import type { Logger } from '@outpost/shared';

/** ECS task scale-in protection: on while the worker is busy, so scale-in never kills a run. */
export interface TaskProtection {
  set(enabled: boolean): Promise<void>;
}

/** Local mode: there is no ECS. */
export const noTaskProtection: TaskProtection = { set: async () => {} };

/**
 * Through the ECS agent endpoint ($ECS_AGENT_URI/task-protection/v1/state). Protection expires by
 * itself (`expiresInMinutes`), so a worker that dies without clearing it is not protected forever;
 * the worker re-asserts it while busy.
 */
export class EcsAgentTaskProtection implements TaskProtection {
  constructor(
    private readonly agentUri: string,
    private readonly logger: Logger,
    private readonly expiresInMinutes = 60,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async set(enabled: boolean): Promise<void> {
    const res = await this.fetchFn(`${this.agentUri.replace(/\/$/, '')}/task-protection/v1/state`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(enabled ? { ProtectionEnabled: true, ExpiresInMinutes: this.expiresInMinutes } : { ProtectionEnabled: false }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`task protection ${enabled ? 'on' : 'off'} failed: HTTP ${res.status} ${text.slice(0, 200)}`);
    // The agent answers 200 with a `failure` object when ECS refused the change.
    if (text.includes('"failure"')) this.logger.warn({ response: text.slice(0, 500) }, 'task protection refused by ECS');
  }
}
