import { z } from 'zod';
import type { Provider } from '../config/providers.js';
import type { AgentName } from '../schemas/run.js';

/** Names of a tenant's BYOK secrets (the last segment of the SSM parameter name). */
export const SECRET_NAMES = [
  'anthropic_api_key',
  // A Claude subscription sign-in (`claude setup-token`), used when no Anthropic API key is stored.
  'claude_code_oauth_token',
  'openai_api_key',
  'gemini_api_key',
  'xai_api_key',
  'github_token',
] as const;
export const SecretName = z.enum(SECRET_NAMES);
export type SecretName = z.infer<typeof SecretName>;

/** One secret handed to an agent as an environment variable (or several, for CLIs that read either name). */
export interface SecretEnvBinding {
  secret: SecretName;
  env: readonly string[];
}

/**
 * What each agent needs from the tenant's secrets. `mode: 'all'`: every binding is required;
 * `'any'`: at least one, and every one present is handed over (aider works with whichever provider
 * key the tenant has); `'first'`: the first one present, and only that one (an API key before a
 * subscription token).
 */
export interface AgentSecretRequirement {
  mode: 'all' | 'any' | 'first';
  bindings: readonly SecretEnvBinding[];
}

export const AGENT_SECRETS: Record<AgentName, AgentSecretRequirement> = {
  claude: {
    mode: 'first',
    bindings: [
      { secret: 'anthropic_api_key', env: ['ANTHROPIC_API_KEY'] },
      { secret: 'claude_code_oauth_token', env: ['CLAUDE_CODE_OAUTH_TOKEN'] },
    ],
  },
  codex: { mode: 'all', bindings: [{ secret: 'openai_api_key', env: ['OPENAI_API_KEY', 'CODEX_API_KEY'] }] },
  gemini: { mode: 'all', bindings: [{ secret: 'gemini_api_key', env: ['GEMINI_API_KEY'] }] },
  grok: { mode: 'all', bindings: [{ secret: 'xai_api_key', env: ['GROK_API_KEY'] }] },
  aider: {
    mode: 'any',
    bindings: [
      { secret: 'anthropic_api_key', env: ['ANTHROPIC_API_KEY'] },
      { secret: 'openai_api_key', env: ['OPENAI_API_KEY'] },
      { secret: 'gemini_api_key', env: ['GEMINI_API_KEY'] },
      { secret: 'xai_api_key', env: ['XAI_API_KEY'] },
    ],
  },
  shell: { mode: 'all', bindings: [] },
};

/** The provider each model key is for (the model gateway puts it in place of the run token). */
export const SECRET_PROVIDER: Partial<Record<SecretName, Provider>> = {
  anthropic_api_key: 'anthropic',
  claude_code_oauth_token: 'anthropic',
  openai_api_key: 'openai',
  gemini_api_key: 'gemini',
  xai_api_key: 'xai',
};

/** Picks the known secrets out of a `getByPath` result (full parameter names → values). */
export function secretsFromParameters(params: Record<string, string>, prefix: string): Partial<Record<SecretName, string>> {
  const out: Partial<Record<SecretName, string>> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!name.startsWith(prefix)) continue;
    const parsed = SecretName.safeParse(name.slice(prefix.length));
    if (parsed.success && value.length > 0) out[parsed.data] = value;
  }
  return out;
}
