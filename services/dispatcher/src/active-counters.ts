import { TIER_NAMES, type ActiveTenantMarks, type Logger, type Stores } from '@outpost/shared';

export interface CounterReport {
  checked: number;
  corrected: number;
}

/**
 * Corrects per-tenant active counters from the run table (queued + running, counted on the status
 * index). A counter legitimately differs for a moment (the edge counts before it writes the run;
 * a run ends before its decrement), so a counter is overwritten only when the same mismatch is
 * seen on two passes in a row. The overwrite is not conditional (UsageStore.setActive): a change
 * racing it is corrected on a later pass; the harm is bounded to one pass interval.
 */
export class ActiveCounterReconciler {
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly deps: { stores: Pick<Stores, 'runs' | 'usage'>; marks: ActiveTenantMarks; logger: Logger; now: () => Date },
  ) {}

  async pass(): Promise<CounterReport> {
    const { runs, usage } = this.deps.stores;
    const passStartedAt = this.deps.now().toISOString();
    const seen = new Set<string>();
    for (const tier of TIER_NAMES) {
      for (const status of ['queued', 'running'] as const) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await runs.listActive({ tier, status, limit: 100, ...(startKey ? { startKey } : {}) });
          for (const run of page.runs) seen.add(run.tenantId);
          startKey = page.lastKey;
        } while (startKey);
      }
    }
    const marked = new Set(await this.deps.marks.list());
    for (const tenantId of seen) if (!marked.has(tenantId)) await this.deps.marks.mark(tenantId, this.deps.now().toISOString());
    const report: CounterReport = { checked: 0, corrected: 0 };
    for (const tenantId of new Set([...seen, ...marked])) {
      report.checked++;
      const actual = (await runs.countByStatus(tenantId, 'queued')) + (await runs.countByStatus(tenantId, 'running'));
      const counter = await usage.getActive(tenantId);
      if (counter === actual) {
        this.pending.delete(tenantId);
        if (actual === 0 && !seen.has(tenantId)) await this.deps.marks.unmark(tenantId, passStartedAt);
        continue;
      }
      const observation = `${counter}/${actual}`;
      if (this.pending.get(tenantId) !== observation) {
        this.pending.set(tenantId, observation);
        continue;
      }
      await usage.setActive(tenantId, actual);
      this.pending.delete(tenantId);
      report.corrected++;
      this.deps.logger.warn({ tenantId, counter, actual }, 'corrected a tenant active-run counter');
    }
    for (const tenantId of this.pending.keys()) if (!seen.has(tenantId) && !marked.has(tenantId)) this.pending.delete(tenantId);
    return report;
  }
}
