import { execFile } from 'node:child_process';
import { AGENT_NAMES, type AgentName } from '@outpost/shared';
import { ADAPTERS } from './agents/index.js';
import type { AgentIdentity } from './run-as.js';

/**
 * Agents whose binary is found and runs (`--version` exits 0 within a few seconds), as the agent
 * user, each with the first line it printed (its version).
 */
export async function probeAgents(o: {
  bins: Record<AgentName, string>;
  path: string;
  home: string;
  identity: AgentIdentity | undefined;
  timeoutMs?: number;
}): Promise<Partial<Record<AgentName, string>>> {
  const results = await Promise.all(
    AGENT_NAMES.map(
      (name) =>
        new Promise<[AgentName, string] | undefined>((resolve) => {
          execFile(
            o.bins[name],
            ADAPTERS[name].probeArgs,
            {
              env: { PATH: o.path, HOME: o.home, LANG: 'C.UTF-8' },
              cwd: '/',
              timeout: o.timeoutMs ?? 10_000,
              ...(o.identity ? { uid: o.identity.uid, gid: o.identity.gid } : {}),
            },
            (err, stdout) => resolve(err ? undefined : [name, firstLine(String(stdout))]),
          );
        }),
    ),
  );
  return Object.fromEntries(results.filter((r) => r !== undefined));
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? '').trim().slice(0, 200) || 'unknown';
}
