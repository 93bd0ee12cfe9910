import { AGENT_SECRETS, type AgentName, type SecretName } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { setSecretAdvice, setSecretCommand } from '../set-secret-command.js';
import { RefusalError } from './refusal.js';

/**
 * Refuses, before anything is taken or queued, a dispatch whose agents cannot run: an agent no live
 * worker of the tenant's tier has, or one whose secret the tenant has not stored. Either would
 * otherwise queue, use a daily slot and fail on a worker. The message says the fix.
 *
 * Both checks fail open: if the heartbeats or the secret names cannot be read, the run is queued
 * and the worker decides as before (a dependency hiccup must not stop every dispatch).
 */
export async function refuseAgentsThatCannotRun(deps: ToolDeps, agents: readonly AgentName[]): Promise<void> {
  const wanted = [...new Set(agents)];
  const unavailable = await unavailableAgents(deps, wanted);
  if (unavailable) throw new RefusalError(unavailable);
  const missing = await missingSecrets(deps, wanted);
  if (missing.length > 0) throw new RefusalError(`dispatch refused, nothing was queued: ${missing.join('\n')}`);
}

async function unavailableAgents(deps: ToolDeps, agents: readonly AgentName[]): Promise<string | undefined> {
  const { tier } = deps.tenant;
  let live;
  try {
    live = await deps.stores.workers.listLive(tier);
  } catch (err) {
    deps.logger.warn({ err, tier }, 'worker heartbeats unreadable; dispatch queues without checking agent availability');
    return undefined;
  }
  // Draining workers are leaving. With no other live worker (scale from zero, a rollout), there is
  // nothing to compare with: the run queues and the worker it wakes decides.
  const serving = live.filter((w) => w.state !== 'draining');
  if (serving.length === 0) return undefined;
  const has = new Set(serving.flatMap((w) => w.agents));
  const missing = agents.filter((a) => !has.has(a));
  if (missing.length === 0) return undefined;
  const workers = serving.length === 1 ? 'its live worker has' : `its ${serving.length} live workers have`;
  const install = deps.config.mode === 'local' ? `, or install ${missing.length === 1 ? 'its CLI' : 'their CLIs'} (npm run agents -- install ${missing.join(' ')}) and restart Outpost` : '';
  return (
    `dispatch refused, nothing was queued: ${missing.length === 1 ? `agent ${missing[0]} is` : `agents ${missing.join(', ')} are`} not available ` +
    `on tier ${tier}: ${workers} ${[...has].sort().join(', ')}. Dispatch with one of those${install}.`
  );
}

async function missingSecrets(deps: ToolDeps, agents: readonly AgentName[]): Promise<string[]> {
  const needing = agents.filter((a) => AGENT_SECRETS[a].bindings.length > 0);
  if (needing.length === 0) return [];
  const { tenantId } = deps.tenant;
  let stored;
  try {
    stored = await deps.secretNames.stored(tenantId);
    // A refusal is worth a fresh read: the caller may have stored the secret a moment ago.
    if (needing.some((a) => !satisfied(a, stored!))) stored = await deps.secretNames.stored(tenantId, { fresh: true });
  } catch (err) {
    deps.logger.warn({ err }, 'secret names unreadable; dispatch queues without checking the agents\' secrets');
    return [];
  }
  const have = stored;
  return needing.filter((a) => !satisfied(a, have)).map((a) => missingMessage(deps, a, have));
}

function satisfied(agent: AgentName, stored: ReadonlySet<SecretName>): boolean {
  const { mode, bindings } = AGENT_SECRETS[agent];
  return mode === 'all' ? bindings.every((b) => stored.has(b.secret)) : bindings.some((b) => stored.has(b.secret));
}

function missingMessage(deps: ToolDeps, agent: AgentName, stored: ReadonlySet<SecretName>): string {
  const { mode, bindings } = AGENT_SECRETS[agent];
  const line = (name: SecretName) => setSecretCommand(deps.config, deps.tenant.tenantId, name);
  if (mode === 'all') {
    const absent = bindings.map((b) => b.secret).filter((s) => !stored.has(s));
    const names = absent.join(' and ');
    return `agent ${agent} needs the secret ${names}, which your tenant has not stored. To store it, ${setSecretAdvice(deps.config, absent.map(line))}`;
  }
  const names = bindings.map((b) => b.secret);
  const needs =
    mode === 'first'
      ? `${names.join(' or ')} (the first one stored is used${names.includes('claude_code_oauth_token') ? '; claude_code_oauth_token is a Claude subscription token from `claude setup-token`' : ''})`
      : `one of ${names.join(', ')} (it uses every one stored)`;
  return `agent ${agent} needs ${needs}, and your tenant has stored none. To store one, ${setSecretAdvice(deps.config, names.map(line), { oneOf: true })}`;
}
