import { spawn } from 'node:child_process';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  assertNever,
  agentBinPath,
  type AgentCliPin,
  agentCliPins,
  type AgentCliPins,
  agentInstallDir,
  type AgentName,
  type Logger,
  OutpostError,
  silentLogger,
} from '@outpost/shared';

/** What one install did, for the report. */
export interface AgentInstallReport {
  agent: AgentName;
  package: string;
  version: string;
  /** installed: now; present: already in the cache; skipped: not installable here (pip). */
  result: 'installed' | 'present' | 'skipped';
  bin?: string;
  seconds?: number;
  reason?: string;
}

/** npm refused or failed to install a pinned CLI. */
export class AgentInstallError extends OutpostError {
  override readonly name = 'AgentInstallError';
  readonly code = 'upstream_failed';
  constructor(
    readonly agent: AgentName,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(`installing the ${agent} CLI failed:\n${output.slice(-2000)}`, options);
  }
}

export interface InstallOptions {
  cacheDir: string;
  /** @default every pinned CLI */
  agents?: readonly AgentName[];
  /** @default agentCliPins() */
  pins?: AgentCliPins;
  /** @default 'npm' */
  npm?: string;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * Installs the pinned agent CLIs that are not in the cache yet, each into a directory of its own
 * named by its version. An install goes to a temporary directory first and is renamed into place
 * when complete, so a failed or interrupted install never looks installed. Install scripts run only
 * for a pin that says it needs them.
 */
export async function installAgentClis(o: InstallOptions): Promise<AgentInstallReport[]> {
  const pins = o.pins ?? agentCliPins();
  const logger = o.logger ?? silentLogger;
  const names = (o.agents ?? (Object.keys(pins) as AgentName[])).filter((n) => pins[n]);
  await mkdir(o.cacheDir, { recursive: true, mode: 0o755 });
  // Agents run as another user: every directory down to the binaries must be enterable.
  await chmod(o.cacheDir, 0o755);
  const reports: AgentInstallReport[] = [];
  for (const agent of names) {
    const pin = pins[agent] as AgentCliPin;
    const base = { agent, package: pin.package, version: pin.version };
    if (pin.source !== 'npm') {
      reports.push({ ...base, result: 'skipped', reason: `${pin.source} packages are installed only in the worker image` });
      continue;
    }
    const bin = agentBinPath(o.cacheDir, agent, pin);
    if (await exists(bin)) {
      reports.push({ ...base, result: 'present', bin });
      continue;
    }
    const dir = agentInstallDir(o.cacheDir, agent, pin);
    const tmp = `${dir}.partial-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { mode: 0o755 });
    const started = Date.now();
    logger.info({ agent, package: pin.package, version: pin.version }, 'installing agent CLI');
    try {
      await npmInstall(o.npm ?? 'npm', tmp, `${pin.package}@${pin.version}`, agent, pin.installScripts);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    reports.push({ ...base, result: 'installed', bin, seconds: (Date.now() - started) / 1000 });
  }
  return reports;
}

function npmInstall(npm: string, prefix: string, spec: string, agent: AgentName, scripts: boolean): Promise<void> {
  const args = ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', ...(scripts ? [] : ['--ignore-scripts']), spec];
  return new Promise((resolve, reject) => {
    const child = spawn(npm, args, { cwd: prefix, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let output = '';
    const keep = (c: Buffer) => (output = (output + c.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => reject(new AgentInstallError(agent, String(err), { cause: err })));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new AgentInstallError(agent, output || `npm exited with ${code}`))));
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** One line per CLI, for people. */
export function describeInstall(r: AgentInstallReport): string {
  const what = `${r.agent.padEnd(7)} ${r.package}@${r.version}`;
  switch (r.result) {
    case 'installed':
      return `${what}  installed in ${r.seconds?.toFixed(1)} s → ${r.bin}`;
    case 'present':
      return `${what}  already installed → ${r.bin}`;
    case 'skipped':
      return `${what}  skipped: ${r.reason}`;
    default:
      return assertNever(r.result);
  }
}

