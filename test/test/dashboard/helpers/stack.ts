import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort, launchLocalStack, LocalJson, LocalStackEnv, type LocalStackHandle } from '@outpost/infra/local';
import { parseEnv, silentLogger } from '@outpost/shared';
import { until } from '@outpost/testkit';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const TENANT_CLI = path.join(ROOT, 'services/mcp-edge/dist/admin/tenant-cli.js');

export interface DashboardStack {
  /** The dashboard's origin (same port as /mcp). */
  baseURL: string;
  local: LocalJson;
  remote: string;
  dir: string;
  handle: LocalStackHandle;
  /** `npm run tenant create` against this stack: a second tenant and its key. */
  createTenant(name: string): Promise<{ tenantId: string; apiKey: string }>;
  stop(): Promise<void>;
}

async function makeRemote(dir: string): Promise<string> {
  const remote = path.join(dir, 'remote.git');
  const work = path.join(dir, 'seed');
  await run('git', ['init', '--bare', '--initial-branch=main', remote]);
  await run('git', ['init', '--initial-branch=main', work]);
  const id = ['-c', 'user.name=Seed', '-c', 'user.email=seed@example.com'];
  await run('git', ['-C', work, ...id, 'commit', '--allow-empty', '-m', 'seed']);
  await run('git', ['-C', work, 'push', remote, 'main']);
  return remote;
}

/** The real local stack, as `npm start` runs it (launcher: emulators, edge, dispatcher, workers). */
export async function startDashboardStack(): Promise<DashboardStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'outpost-dash-e2e-'));
  const remote = await makeRemote(dir);
  const home = path.join(dir, '.outpost');
  const env = parseEnv(LocalStackEnv, {
    OUTPOST_HOME: home,
    OUTPOST_LOG_LEVEL: 'warn',
    OUTPOST_EDGE_PORT: String(await freePort()),
    OUTPOST_DYNAMODB_PORT: String(await freePort()),
    OUTPOST_SQS_PORT: String(await freePort()),
  });
  const handle = await launchLocalStack({ env, logger: silentLogger, stdio: 'ignore' });
  if (handle.skipped.length > 0) throw new Error(`services not built: ${handle.skipped.join(', ')} (npm run build first)`);
  const local = LocalJson.parse(JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')));
  const baseURL = new URL(local.mcpUrl).origin;
  await until(async () => (await fetch(`${baseURL}/healthz`)).ok, { what: 'the edge to answer /healthz', timeoutMs: 60_000 });
  return {
    baseURL,
    local,
    remote,
    dir,
    handle,
    async createTenant(name) {
      const { stdout } = await run(process.execPath, [TENANT_CLI, 'create', '--name', name, '--tier', 'pro'], {
        env: { ...process.env, ...handle.childEnv, OUTPOST_HOME: home },
      });
      const out = JSON.parse(stdout) as { tenantId: string; apiKey: string };
      return out;
    },
    async stop() {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Branches of the bare repository (to see a promotion land). */
export async function branchesOf(remote: string): Promise<string[]> {
  const { stdout } = await run('git', ['--git-dir', remote, 'branch', '--format=%(refname:short)']);
  return stdout.split('\n').filter(Boolean);
}

export async function showFile(remote: string, branch: string, file: string): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', remote, 'show', `${branch}:${file}`]);
  return stdout;
}
