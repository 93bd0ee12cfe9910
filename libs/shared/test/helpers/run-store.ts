import { expect } from '@jest/globals';
import type { NewRun } from '../../src/stores/run-store.js';
import type { RunRecord, TerminalStatus } from '../../src/schemas/run.js';
import { createRun, startTestStack, type TestStack } from '@outpost/testkit';
import { resourceNames } from '../../src/aws/resources.js';
import { ManualClock } from '../../src/core/clock.js';
import { RunStore } from '../../src/stores/run-store.js';

/** The stack, clock and store every run-store suite starts with (the clock at 2026-01-01 12:00). */
export async function startRunStoreSuite(): Promise<{ db: TestStack; clock: ManualClock; runs: RunStore }> {
  const db = await startTestStack();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  return { db, clock, runs: new RunStore({ tableName: resourceNames(db.config.prefix).tables.runs, doc: db.clients.doc, clock }) };
}

/** The lease length the run-store tests take. */
export const LEASE_MS = 30_000;

/** A new run, leased by `wkr_a`. */
export async function leaseRun(runs: RunStore, tenantId: string, overrides: Partial<NewRun> = {}): Promise<{ run: RunRecord; leaseToken: string }> {
  const run = await createRun(runs, tenantId, overrides);
  return runs.acquireLease({ tenantId, runId: run.runId, tier: run.tier, workerId: 'wkr_a', leaseMs: LEASE_MS });
}

export const finishInput = (run: RunRecord, leaseToken: string, status: TerminalStatus) => ({
  tenantId: run.tenantId,
  runId: run.runId,
  leaseToken,
  status,
});

/** Asserts the index attributes match the status. */
export function expectIndexAttrs(run: RunRecord): void {
  expect(run.tenantStatus).toBe(`${run.tenantId}#${run.status}`);
  expect(run.tenantAgent).toBe(`${run.tenantId}#${run.agent}`);
  if (run.status === 'queued' || run.status === 'running') {
    expect(run.activePk).toBe(`${run.status}#${run.tier}`);
    expect(run.activeSk).toBe(run.status === 'queued' ? run.queuedAt : run.leaseExpiresAt);
  } else {
    expect(run.activePk).toBeUndefined();
    expect(run.activeSk).toBeUndefined();
  }
}

/** Every run id the active index lists for a tier and status, across pages. */
export async function activeIdsOf(runs: RunStore, tier: RunRecord['tier'], status: 'queued' | 'running'): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await runs.listActive({ tier, status, ...(startKey ? { startKey } : {}) });
    ids.push(...page.runs.map((r) => r.runId));
    startKey = page.lastKey;
  } while (startKey);
  return ids;
}
