import { ulid } from 'ulid';
import { newRunId } from '../../src/core/ids.js';
import type { NewRun, RunStore } from '../../src/stores/run-store.js';
import type { RunRecord } from '../../src/schemas/run.js';

let tenantSeq = 0;

/** A tenant id unique within the test process. */
export function testTenant(label = 'ten'): string {
  tenantSeq++;
  return `${label}_${process.pid}_${tenantSeq}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A valid NewRun with overridable fields. */
export function newRunInput(tenantId: string, overrides: Partial<NewRun> = {}, now?: number): NewRun {
  return {
    tenantId,
    runId: newRunId(now),
    tier: 'pro',
    agent: 'shell',
    repo: 'owner/repo',
    task: 'echo hi',
    taskBytes: 7,
    timeoutSeconds: 600,
    maxAttempts: 3,
    ...overrides,
  };
}

export async function createRun(runs: RunStore, tenantId: string, overrides: Partial<NewRun> = {}, now?: number): Promise<RunRecord> {
  return runs.create(newRunInput(tenantId, overrides, now));
}

/** A run id for an exact time (newRunId is monotonic, so it never goes back in time within a process). */
export function runIdAt(time: number): string {
  return `run_${ulid(time)}`;
}
