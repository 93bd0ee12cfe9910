import { execFileSync } from 'node:child_process';

/** Who an agent runs as: undefined means "as the worker" (the worker is not root). */
export interface AgentIdentity {
  uid: number;
  gid: number;
}

/**
 * When the worker is root, agents run as an unprivileged user (`nobody` by default), so an agent
 * cannot read the worker's files or credentials. Resolved once at start-up with `id`.
 */
/** One identity per run slot: BASE+slot when a uid base is set, else the one agent user. */
export function slotIdentities(user: string, uidBase: number | undefined, slots: number): (AgentIdentity | undefined)[] {
  const single = resolveAgentIdentity(user);
  if (!single || uidBase === undefined) return Array.from({ length: slots }, () => single);
  return Array.from({ length: slots }, (_, i) => ({ uid: uidBase + i, gid: uidBase + i }));
}

export function resolveAgentIdentity(user: string): AgentIdentity | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  if (/^\d+$/.test(user)) {
    const uid = Number(user);
    return { uid, gid: uid };
  }
  const uid = Number(execFileSync('id', ['-u', '--', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', '--', user], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`cannot resolve agent user ${user}`);
  if (uid === 0) throw new Error(`OUTPOST_AGENT_USER ${user} is root; agents must not run as root`);
  return { uid, gid };
}
