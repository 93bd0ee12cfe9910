import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '@outpost/shared';
import { round } from './_stats.js';

/** Median milliseconds of each part of a run, from its record and the sys lines its log tail stamps. */
export interface Split {
  /** queuedAt → startedAt (lease taken): the backlog, mostly. */
  queueWait: number;
  /** Between a worker's previous finish and this lease: receive + lease. */
  pickupGap: number;
  /** startedAt → the "attempt N on worker" line: secrets, workspace, log sink. */
  setup: number;
  /** → the "base commit" line: git clone and checkout. */
  clone: number;
  /** → the "agent ended" line: spawn and exit of the agent. */
  agent: number;
  /** → finishedAt: changes, log close and uploads, summary, the terminal write. */
  end: number;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return round(s[Math.floor(s.length / 2)] ?? NaN);
};

function stampOf(tail: string, marker: RegExp): number {
  const line = tail.split('\n').find((l) => marker.test(l));
  return line ? Date.parse(line.slice(0, line.indexOf(' '))) : NaN;
}

export function splitRuns(runs: readonly RunRecord[]): Split {
  const parts: Record<keyof Split, number[]> = { queueWait: [], pickupGap: [], setup: [], clone: [], agent: [], end: [] };
  const byWorker = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const tail = r.logTail ?? '';
    const started = Date.parse(r.startedAt!);
    const attempt = stampOf(tail, / sys attempt \d+ on worker /);
    const base = stampOf(tail, / sys base commit /);
    const agentEnd = stampOf(tail, / sys agent ended /);
    parts.queueWait.push(started - Date.parse(r.queuedAt));
    parts.setup.push(attempt - started);
    parts.clone.push(base - attempt);
    parts.agent.push(agentEnd - base);
    parts.end.push(Date.parse(r.finishedAt!) - agentEnd);
    if (r.workerId) byWorker.set(r.workerId, [...(byWorker.get(r.workerId) ?? []), r]);
  }
  for (const list of byWorker.values()) {
    list.sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    for (let i = 1; i < list.length; i++) parts.pickupGap.push(Date.parse(list[i]!.startedAt!) - Date.parse(list[i - 1]!.finishedAt!));
  }
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)])) as unknown as Split;
}

function child(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd, stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** The same work without Outpost, `n` times one after another: clone the repo, `sh -c true` in it. */
export async function cloneAndTrue(repo: string, tmp: string, n: number): Promise<{ perSecond: number; p50Ms: number }> {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const dir = path.join(tmp, `raw-${i}`);
    const s = performance.now();
    await child('git', ['clone', '-q', '--', repo, dir]);
    await child('sh', ['-c', 'true'], dir);
    times.push(performance.now() - s);
    await rm(dir, { recursive: true, force: true });
  }
  return { perSecond: round(n / ((performance.now() - t0) / 1000)), p50Ms: median(times) };
}
