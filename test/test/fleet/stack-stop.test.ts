import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { writeFleetOverride } from '@outpost/dispatcher';
import { artifactKeys, FileParameterStore } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { BUILD_HINT, dispatchShell, gitRepo, openHarness, WORKER_BUILT, type Harness } from './helpers/fleet.js';

const DISPATCHER_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../services/dispatcher/dist/main.js');

interface LogLine {
  service?: string;
  msg?: string;
  code?: number | null;
  workerId?: string;
  signal?: string;
}

// A stack stop signals the whole process group (Ctrl-C's SIGINT, or a supervisor's SIGTERM), and the
// dispatcher's local scaler then sends each worker its own SIGTERM a few ms later. Both must add up
// to one drain. The BUILT dispatcher and worker run here: build first.
describe('stopping the stack: the process-group signal and the scaler’s SIGTERM', () => {
  let h: Harness;
  let repo: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!WORKER_BUILT) throw new Error(BUILD_HINT);
    h = await openHarness();
    repo = await gitRepo();
    const params = new FileParameterStore(path.join(h.home, 'fleet.json'));
    // One pro worker takes the run; free stays empty; enterprise keeps its default minimum of one idle worker.
    await writeFleetOverride(params, h.stack.config.env, 'pro', { minWorkers: 1, maxWorkers: 1 });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
    await h?.close();
  }, 60_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the group: every worker drains and exits 0, the agent gets its grace, the run goes back unspent',
    async (signal) => {
      // Its own process group, as `npm start` is in a terminal, so the group signal reaches only this stack.
      const dispatcher = spawn(process.execPath, [DISPATCHER_MAIN], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...(process.env as Record<string, string>),
          ...h.stack.env,
          OUTPOST_LOG_LEVEL: 'info',
          OUTPOST_DISPATCH_INTERVAL_MS: '300',
          OUTPOST_WORKER_CONCURRENCY: '1',
          OUTPOST_WORKER_ROOT: path.join(h.home, 'work'),
          OUTPOST_WORKER_HEARTBEAT_SECONDS: '1',
          OUTPOST_LEASE_SECONDS: '10',
          OUTPOST_LEASE_RENEW_SECONDS: '1',
          OUTPOST_DRAIN_GRACE_SECONDS: '1',
          OUTPOST_KILL_GRACE_SECONDS: '10',
        },
      });
      children.push(dispatcher);
      let out = '';
      dispatcher.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      dispatcher.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const lines = (): LogLine[] =>
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as LogLine);

      const task = `trap 'echo "got TERM, tidying up"; exit 0' TERM; echo started; sleep 600 & wait`;
      const run = await dispatchShell(h, repo, task);
      await until(async () => (await h.stores.runs.require(run.tenantId, run.runId)).logTail?.includes('started'), {
        what: 'the agent to start',
        timeoutMs: 60_000,
      });
      const dispatcherSaid = (msg: string) => lines().filter((l) => l.service === 'dispatcher' && l.msg === msg);
      const started = dispatcherSaid('started a worker').length;
      expect(started).toBeGreaterThanOrEqual(2); // the pro worker and the idle enterprise one

      process.kill(-dispatcher.pid!, signal);
      const [code] = (await once(dispatcher, 'exit')) as [number | null];

      expect(code).toBe(0);
      const stopped = dispatcherSaid('worker stopped');
      expect(stopped.map((l) => l.code)).toEqual(Array(started).fill(0));
      expect(lines().filter((l) => /exiting now/.test(l.msg ?? ''))).toEqual([]);
      const back = await h.stores.runs.require(run.tenantId, run.runId);
      expect(back).toMatchObject({ status: 'queued', attempt: 0 });
      // The drain stopped the agent with SIGTERM and waited for it: its trap ran and its last words are in the log.
      const log = await h.stack.clients.s3.send(
        new GetObjectCommand({ Bucket: h.stores.names.bucket, Key: artifactKeys.artifact(run.tenantId, run.runId, 'log.txt') }),
      );
      expect(await log.Body!.transformToString()).toContain('got TERM, tidying up');
      // Leave the queue empty for the next case.
      await h.stores.runs.cancelQueued({ tenantId: run.tenantId, runId: run.runId });
    },
    120_000,
  );
});
