import { createHash, randomBytes } from 'node:crypto';
import type { MonthlySpend, Provider, RunSpendView, Usage } from '@outpost/shared';

/** What a run spent through the gateway, by model and in all. */
export interface RunSpend {
  calls: number;
  usage: Required<Omit<Usage, 'costUsd'>>;
  costUsd: number;
  byModel: Record<string, { calls: number; costUsd: number }>;
}

/** The run reached a spending limit; further model calls are refused. */
export interface BudgetExceeded {
  limit: 'run' | 'monthly';
  limitUsd: number;
  spentUsd: number;
  message: string;
}

export interface RunGrantOptions {
  tenantId: string;
  runId: string;
  /** The tenant's real key per provider, put in place of the token on the way out. */
  keys: Partial<Record<Provider, string>>;
  /** Model calls stop once the run has spent this much. */
  maxCostUsd?: number | undefined;
  monthly?: MonthlySpend | undefined;
  /**
   * The uid the run's agent runs as (the worker is root): the token is accepted only on a
   * connection that uid opened, so an agent that learns another run's token cannot use it.
   */
  agentUid?: number | undefined;
}

/**
 * One run's permission to call models: a token that stands in for the tenant's keys, what the run
 * spent, and its limits. The token is valid until revoke() (the run's end).
 */
export class RunGrant {
  readonly token = `opr_${randomBytes(24).toString('base64url')}`;
  readonly tokenHash = hashToken(this.token);
  private spend: RunSpend = { calls: 0, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd: 0, byModel: {} };
  private revoked = false;
  private over: BudgetExceeded | undefined;
  private refusedOnce = false;
  private readonly listeners: ((e: BudgetExceeded) => void)[] = [];

  constructor(readonly o: RunGrantOptions) {}

  get tenantId(): string {
    return this.o.tenantId;
  }

  get runId(): string {
    return this.o.runId;
  }

  get active(): boolean {
    return !this.revoked;
  }

  get exceeded(): BudgetExceeded | undefined {
    return this.over;
  }

  spent(): RunSpend {
    return structuredClone(this.spend);
  }

  /** The spend as the run record keeps it. */
  spendView(): RunSpendView {
    return { costUsd: this.spend.costUsd, calls: this.spend.calls, ...this.spend.usage };
  }

  keyFor(provider: Provider): string | undefined {
    return this.o.keys[provider];
  }

  /** Called once, when the first model call is refused for a limit (the worker then ends the run). */
  onRefused(listener: (e: BudgetExceeded) => void): void {
    this.listeners.push(listener);
  }

  /** Before a model call: undefined when it may go ahead, else the limit that refuses it. */
  async admit(): Promise<BudgetExceeded | undefined> {
    const over = await this.check();
    if (over && !this.refusedOnce) {
      this.refusedOnce = true;
      for (const l of this.listeners) l(over);
    }
    return over;
  }

  private async check(): Promise<BudgetExceeded | undefined> {
    if (this.over) return this.over;
    const max = this.o.maxCostUsd;
    if (max !== undefined && this.spend.costUsd >= max) return this.exceed({ limit: 'run', limitUsd: max, spentUsd: this.spend.costUsd });
    if (this.o.monthly) {
      const { spentUsd, limitUsd } = await this.o.monthly.current();
      if (limitUsd !== null && spentUsd >= limitUsd) return this.exceed({ limit: 'monthly', limitUsd, spentUsd });
    }
    return undefined;
  }

  /** After a model call: adds what it cost. A call that passes a limit is counted; the next is refused. */
  async record(model: string | undefined, usage: Usage | undefined, costUsd: number): Promise<void> {
    const s = this.spend;
    s.calls += 1;
    if (usage) for (const k of ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const) s.usage[k] += usage[k] ?? 0;
    s.costUsd += costUsd;
    const m = (s.byModel[model ?? 'unknown'] ??= { calls: 0, costUsd: 0 });
    m.calls += 1;
    m.costUsd += costUsd;
    if (costUsd > 0) await this.o.monthly?.add(costUsd);
    const max = this.o.maxCostUsd;
    if (max !== undefined && s.costUsd >= max) this.exceed({ limit: 'run', limitUsd: max, spentUsd: s.costUsd });
  }

  revoke(): void {
    this.revoked = true;
  }

  private exceed(e: Omit<BudgetExceeded, 'message'>): BudgetExceeded {
    if (this.over) return this.over;
    const what = e.limit === 'run' ? 'the run\'s budget (maxCostUsd)' : 'the tenant\'s monthly spend limit';
    this.over = { ...e, message: `${what} of $${e.limitUsd.toFixed(2)} is reached: $${e.spentUsd.toFixed(4)} spent` };
    return this.over;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
