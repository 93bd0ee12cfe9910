import { ulid } from 'ulid';
import { newRunId, type NewRun, type RunRecord } from '@outpost/shared';

let tenantSeq = 0;

/**
 * A tenant id unique within the test process, `ten_<label>…` (the stores do not check the
 * format, so tests need not create the tenant first). Labels keep their order when sorted.
 */
export function testTenant(label = 'test'): string {
  tenantSeq++;
  return `ten_${label}${process.pid}x${tenantSeq}x${Math.random().toString(36).slice(2, 8)}`;
}

/** A valid NewRun (a `shell` run on the pro tier) with overridable fields; `now` dates its run id. */
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

/** What createRun needs of a run store (structural, so shared's own tests can pass theirs). */
export interface RunCreator {
  create(input: NewRun): Promise<RunRecord>;
}

/** Creates a run from newRunInput. */
export async function createRun(runs: RunCreator, tenantId: string, overrides: Partial<NewRun> = {}, now?: number): Promise<RunRecord> {
  return runs.create(newRunInput(tenantId, overrides, now));
}

/** A run id for an exact time (newRunId is monotonic, so it never goes back in time within a process). */
export function runIdAt(time: number): string {
  return `run_${ulid(time)}`;
}
