import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_WORKER_ENTRY, Dispatcher, LocalScaler, writeFleetOverride } from '@outpost/dispatcher';
import { FileParameterStore, openStores, sendJob, type Stores } from '@outpost/shared';
import { newRunInput, startTestStack, testTenant, type TestStack } from '@outpost/testkit';

/** The dispatcher starts the BUILT worker (services/worker/dist/main.js): turbo builds it first. */
export const WORKER_BUILT = existsSync(DEFAULT_WORKER_ENTRY);
export const BUILD_HINT = 'needs the real worker: npx turbo run build --filter=@outpost/test...';

export interface Harness {
  home: string;
  stack: TestStack;
  stores: Stores;
  close(): Promise<void>;
}

/** A fresh emulator stack and its stores; workers put their workspaces under home/work. */
export async function openHarness(): Promise<Harness> {
  const stack = await startTestStack();
  return { home: stack.home, stack, stores: openStores(stack.config, stack.clients), close: () => stack.stop() };
}

/** A real git repository with one commit, readable by the unprivileged agent user. */
export async function gitRepo(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'outpost-repo-'));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'README.md'), '# test\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'init');
  return dir;
}

/** The dispatcher loop with the local scaler starting real workers (services/worker/dist/main.js). */
export function localFleet(
  h: Harness,
  options: { cooldownMs: number; maxAttempts?: number; leaseSeconds?: number; logDir?: string },
): { dispatcher: Dispatcher; scaler: LocalScaler; params: FileParameterStore } {
  const params = new FileParameterStore(path.join(h.home, 'fleet.json'));
  const lease = options.leaseSeconds ?? 4;
  const scaler = new LocalScaler({
    workers: h.stores.workers,
    entry: DEFAULT_WORKER_ENTRY,
    env: {
      ...(process.env as Record<string, string>),
      ...h.stack.env,
      OUTPOST_LOG_LEVEL: 'info',
      OUTPOST_MAX_ATTEMPTS: String(options.maxAttempts ?? 3),
      OUTPOST_WORKER_CONCURRENCY: '1',
      OUTPOST_LEASE_SECONDS: String(lease),
      OUTPOST_LEASE_RENEW_SECONDS: '1',
      OUTPOST_WORKER_HEARTBEAT_SECONDS: '1',
      OUTPOST_WORKER_VISIBILITY_SECONDS: '10',
      OUTPOST_DRAIN_GRACE_SECONDS: '10',
      OUTPOST_KILL_GRACE_SECONDS: '2',
      OUTPOST_WORKER_ROOT: path.join(h.home, 'work'),
    },
    restartBackoffMs: 200,
    stopTimeoutMs: 30_000,
    output: options.logDir ? { dir: options.logDir } : 'ignore',
  });
  const dispatcher = new Dispatcher({
    sqs: h.stack.clients.sqs,
    stores: h.stores,
    scaler,
    params,
    env: h.stack.config.env,
    tiers: h.stack.config.tiers,
    intervalMs: 300,
    scaleInCooldownMs: options.cooldownMs,
    staleQueuedMs: 60_000,
    countersIntervalMs: 5_000,
    localCap: 4,
    tierNames: ['pro'],
  });
  return { dispatcher, scaler, params };
}

export async function pinPro(h: Harness, params: FileParameterStore, min: number, max: number): Promise<void> {
  await writeFleetOverride(params, h.stack.config.env, 'pro', { minWorkers: min, maxWorkers: max });
}

/** Dispatches a shell run on the pro tier the way the edge does: a queued run, then its message. */
export async function dispatchShell(h: Harness, repo: string, task: string, maxAttempts = 3) {
  const run = await h.stores.runs.create(newRunInput(testTenant(), { repo, task, taskBytes: Buffer.byteLength(task), maxAttempts }));
  await sendJob(h.stack.clients.sqs, h.stores.queues, { tier: 'pro', tenantId: run.tenantId, runId: run.runId });
  return run;
}
