import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startTestStack, type TestStack, until } from '@outpost/testkit';
import {
  createLogger,
  FileParameterStore,
  newRunId,
  newTenantId,
  openStores,
  parameterPaths,
  sendJob,
  type AgentName,
  type RunRecord,
  type Stores,
} from '@outpost/shared';
import { loadWorkerConfig, type WorkerConfig } from '../src/config.js';
import { Worker } from '../src/worker.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FAKES = path.join(REPO_ROOT, 'test/fixtures/agents');
export const WORKER_MAIN = path.join(REPO_ROOT, 'services/worker/dist/main.js');

/** A temp directory every user can enter (agents run as `nobody` when tests run as root). */
export async function openTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

export function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', ...env } });
}

/** A real git repo with one commit on `branch` (not main by default, on purpose). */
export async function makeRepo(parent: string, o: { branch?: string; files?: Record<string, string>; bare?: boolean } = {}): Promise<{ dir: string; head: string }> {
  const dir = await mkdtemp(path.join(parent, 'repo-'));
  await chmod(dir, 0o755);
  const g = (...args: string[]) => sh('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], dir);
  g('init', '-q', '-b', o.branch ?? 'trunk');
  for (const [name, content] of Object.entries(o.files ?? { 'README.md': '# test repo\n' })) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  g('add', '-A');
  g('commit', '-q', '-m', 'initial');
  return { dir, head: g('rev-parse', 'HEAD').trim() };
}

export interface Harness {
  stack: TestStack;
  stores: Stores;
  params: FileParameterStore;
  home: string;
  root: string;
  tmp: string;
  workers: Worker[];
  tenantId: string;
  config(overrides?: Record<string, string>): WorkerConfig;
  startWorker(overrides?: Record<string, string>): Promise<Worker>;
  setSecret(name: string, value: string, tenantId?: string): Promise<void>;
  dispatch(o: { agent: AgentName; task: string; repo: string; ref?: string; timeoutSeconds?: number; model?: string; tenantId?: string; maxAttempts?: number }): Promise<RunRecord>;
  waitEnd(run: { tenantId: string; runId: string }, timeoutMs?: number): Promise<RunRecord>;
  s3Objects(prefix?: string): Promise<{ key: string; body: Buffer }[]>;
  workerEnv(overrides?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Emulators, stores, a tenant, a workspace root and fake agents; workers started in-process on
 * demand. `persist`: the emulators keep their data under home/data, as `npm start` does.
 */
export async function harness(o: { persist?: boolean } = {}): Promise<Harness> {
  const tmp = await openTempDir('outpost-worker-test-');
  const home = path.join(tmp, 'home');
  const root = path.join(tmp, 'work');
  await mkdir(home, { recursive: true });
  await mkdir(root, { recursive: true, mode: 0o711 });
  const stack = await startTestStack({ home, ...(o.persist ? { dataDir: path.join(home, 'data') } : {}) });
  const stores = openStores(stack.config, stack.clients);
  const params = new FileParameterStore(path.join(home, 'secrets.json'));
  const tenantId = newTenantId();
  const workers: Worker[] = [];
  const children: ChildProcess[] = [];
  const workerEnv = (overrides: Record<string, string> = {}) => ({
    ...stack.env,
    OUTPOST_WORKER_TIER: 'free',
    OUTPOST_WORKER_ROOT: root,
    // Two run slots per worker, as these tests were written for (the default is the tier's runsPerWorker, 1).
    OUTPOST_WORKER_CONCURRENCY: '2',
    OUTPOST_LEASE_SECONDS: '10',
    OUTPOST_LEASE_RENEW_SECONDS: '1',
    OUTPOST_KILL_GRACE_SECONDS: '2',
    OUTPOST_WORKER_HEARTBEAT_SECONDS: '1',
    // A stopping worker waits for its last long poll: short polls keep every test's teardown short.
    OUTPOST_WORKER_POLL_SECONDS: '1',
    OUTPOST_LIVE_LOG_MAX_MB: '8',
    OUTPOST_AGENT_CLAUDE_BIN: path.join(FAKES, 'claude'),
    OUTPOST_AGENT_CODEX_BIN: path.join(FAKES, 'codex'),
    OUTPOST_AGENT_GEMINI_BIN: path.join(FAKES, 'gemini'),
    OUTPOST_AGENT_AIDER_BIN: path.join(FAKES, 'aider'),
    OUTPOST_AGENT_GROK_BIN: path.join(FAKES, 'grok'),
    ...overrides,
  });
  const h: Harness = {
    stack,
    stores,
    params,
    home,
    root,
    tmp,
    workers,
    tenantId,
    workerEnv,
    config: (overrides) => loadWorkerConfig(workerEnv(overrides)),
    async startWorker(overrides) {
      // OUTPOST_TEST_WORKER_LOG=debug shows the in-process workers' logs.
      const level = process.env.OUTPOST_TEST_WORKER_LOG;
      const w = new Worker({ config: h.config(overrides), clients: stack.clients, params, stores, ...(level ? { logger: createLogger({ service: 'worker', level }) } : {}) });
      workers.push(w);
      await w.start();
      return w;
    },
    setSecret: (name, value, t = tenantId) => params.put(parameterPaths.tenantSecret(stack.config.env, t, name), value),
    async dispatch(o) {
      const run = await stores.runs.create({
        tenantId: o.tenantId ?? tenantId,
        runId: newRunId(),
        tier: 'free',
        agent: o.agent,
        repo: o.repo,
        ...(o.ref ? { ref: o.ref } : {}),
        ...(o.model ? { model: o.model } : {}),
        task: o.task,
        taskBytes: Buffer.byteLength(o.task),
        timeoutSeconds: o.timeoutSeconds ?? 120,
        maxAttempts: o.maxAttempts ?? 3,
      });
      await sendJob(stack.clients.sqs, stores.queues, { tier: 'free', tenantId: run.tenantId, runId: run.runId });
      return run;
    },
    waitEnd: (run, timeoutMs = 60_000) =>
      until(
        async () => {
          const r = await stores.runs.require(run.tenantId, run.runId);
          return r.status !== 'queued' && r.status !== 'running' ? r : undefined;
        },
        { timeoutMs, what: `run ${run.runId} to end` },
      ),
    async s3Objects(prefix) {
      const out: { key: string; body: Buffer }[] = [];
      let token: string | undefined;
      do {
        const page = await stack.clients.s3.send(
          new ListObjectsV2Command({ Bucket: stores.names.bucket, ...(prefix ? { Prefix: prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const o of page.Contents ?? []) {
          const obj = await stack.clients.s3.send(new GetObjectCommand({ Bucket: stores.names.bucket, Key: o.Key }));
          out.push({ key: o.Key ?? '', body: Buffer.from(await obj.Body!.transformToByteArray()) });
        }
        token = page.NextContinuationToken;
      } while (token);
      return out;
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.stop({ graceMs: 0 })));
      for (const c of children) c.kill('SIGKILL');
      await stack.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
  return h;
}

/** Spawns the built worker process (services/worker/dist/main.js). */
export function spawnWorker(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [WORKER_MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  child.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  return Object.assign(child, { output: () => out });
}
