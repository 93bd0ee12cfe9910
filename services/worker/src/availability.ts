import { execFile } from 'node:child_process';
import { AGENT_NAMES, type AgentName } from '@outpost/shared';
import { ADAPTERS } from './agents/index.js';
import type { AgentIdentity } from './run-as.js';

/** Agents whose binary is found and runs (`--version` exits 0 within a few seconds), as the agent user. */
export async function probeAgents(o: {
  bins: Record<AgentName, string>;
  path: string;
  home: string;
  identity: AgentIdentity | undefined;
  timeoutMs?: number;
}): Promise<AgentName[]> {
  const results = await Promise.all(
    AGENT_NAMES.map(
      (name) =>
        new Promise<AgentName | undefined>((resolve) => {
          execFile(
            o.bins[name],
            ADAPTERS[name].probeArgs,
            {
              env: { PATH: o.path, HOME: o.home, LANG: 'C.UTF-8' },
              cwd: '/',
              timeout: o.timeoutMs ?? 10_000,
              ...(o.identity ? { uid: o.identity.uid, gid: o.identity.gid } : {}),
            },
            (err) => resolve(err ? undefined : name),
          );
        }),
    ),
  );
  return results.filter((n): n is AgentName => n !== undefined);
}
