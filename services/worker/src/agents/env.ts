import { AGENT_SECRETS, type AgentName, OutpostError, type SecretName } from '@outpost/shared';

/** The run needs a secret the tenant has not set. */
export class MissingSecretError extends OutpostError {
  override readonly name = 'MissingSecretError';
  readonly code = 'missing_secret';
  constructor(
    readonly agent: AgentName,
    readonly secrets: readonly SecretName[],
    readonly anyOf: boolean,
  ) {
    super(
      anyOf
        ? `agent ${agent} needs one of the secrets ${secrets.join(', ')}; set one for your tenant`
        : `agent ${agent} needs the secret ${secrets.join(', ')}; set it for your tenant`,
    );
  }
}

/**
 * The agent's environment, built from nothing: PATH, HOME, locale and its key(s). Nothing of
 * the worker's own environment (no AWS_*, no OUTPOST_*) reaches the agent. With `standIn` (the
 * model gateway's run token) each key variable holds that instead of the key: `bound` names the
 * secrets it stands for, `used` their real values (for redaction).
 */
export function buildAgentEnv(input: {
  agent: AgentName;
  secrets: Partial<Record<SecretName, string>>;
  home: string;
  path: string;
  tmpDir: string;
  standIn?: string | undefined;
}): { env: Record<string, string>; used: string[]; bound: SecretName[] } {
  const req = AGENT_SECRETS[input.agent];
  const env: Record<string, string> = {
    PATH: input.path,
    HOME: input.home,
    TMPDIR: input.tmpDir,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    // Headless: nothing may wait for a terminal or open an editor.
    CI: '1',
    TERM: 'dumb',
    NO_COLOR: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
  const used: string[] = [];
  const bound: SecretName[] = [];
  const missing: SecretName[] = [];
  for (const b of req.bindings) {
    const value = input.secrets[b.secret];
    if (value === undefined) {
      missing.push(b.secret);
      continue;
    }
    if (req.mode === 'first' && used.length > 0) continue;
    for (const name of b.env) env[name] = input.standIn ?? value;
    used.push(value);
    bound.push(b.secret);
  }
  if (req.mode === 'all' && missing.length > 0) throw new MissingSecretError(input.agent, missing, false);
  if (req.mode !== 'all' && req.bindings.length > 0 && used.length === 0) throw new MissingSecretError(input.agent, missing, true);
  return { env, used, bound };
}
