import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AgentName } from '../schemas/run.js';

/** One agent CLI at the version every worker runs: the image, the tests and local mode read this. */
export const AgentCliPin = z.object({
  /** npm: installable here and in the image; pip: the image only (no Python index here). */
  source: z.enum(['npm', 'pip']),
  package: z.string().min(1),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'an exact version'),
  bin: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** Its install scripts must run (Claude Code's postinstall puts its native binary in place). */
  installScripts: z.boolean().default(false),
});
export type AgentCliPin = z.infer<typeof AgentCliPin>;

export const AgentCliPins = z.partialRecord(AgentName, AgentCliPin);
export type AgentCliPins = z.infer<typeof AgentCliPins>;

/** libs/shared/agent-clis.json, two levels above both src/config/ and dist/config/. */
export const AGENT_CLIS_FILE = new URL('../../agent-clis.json', import.meta.url);

/** The pinned agent CLIs. */
export function agentCliPins(): AgentCliPins {
  return AgentCliPins.parse(JSON.parse(readFileSync(AGENT_CLIS_FILE, 'utf8')));
}

/**
 * Where the project installs agent CLIs for local use and tests (`OUTPOST_AGENT_CACHE`). As root
 * the default is outside /root, because agents run as another user and must be able to execute them.
 */
export function agentCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.OUTPOST_AGENT_CACHE) return path.resolve(env.OUTPOST_AGENT_CACHE);
  if (process.getuid?.() === 0) return '/var/cache/outpost/agents';
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'outpost', 'agents');
}

/** The directory one pinned CLI installs into; the version is in the name, so a new pin installs anew. */
export function agentInstallDir(cacheDir: string, name: AgentName, pin: AgentCliPin): string {
  return path.join(cacheDir, `${name}-${pin.version}`);
}

export function agentBinPath(cacheDir: string, name: AgentName, pin: AgentCliPin): string {
  return path.join(agentInstallDir(cacheDir, name, pin), 'node_modules', '.bin', pin.bin);
}

/** The pinned CLIs already installed in the cache, by agent. */
export function installedAgentBins(cacheDir: string, pins: AgentCliPins = agentCliPins()): Partial<Record<AgentName, string>> {
  const out: Partial<Record<AgentName, string>> = {};
  for (const [name, pin] of Object.entries(pins) as [AgentName, AgentCliPin][]) {
    const bin = agentBinPath(cacheDir, name, pin);
    if (existsSync(bin)) out[name] = bin;
  }
  return out;
}

/**
 * Agents whose adapter was never run against the real CLI, and why: fleet_status and the README
 * say so. Every other adapter's suite runs the real CLI end to end.
 */
export const REAL_CLI_UNTESTED: Partial<Record<AgentName, string>> = {
  aider: 'aider installs only from PyPI, which the test machines cannot reach; its adapter is tested against a fake CLI only',
};
