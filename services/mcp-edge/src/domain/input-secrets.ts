import { findTokenShapedSecret, SECRET_NAMES, type SecretName, type Tags, type TokenFound, type TokenKind } from '@outpost/shared';
import { setSecretAdvice, setSecretCommand, type SetSecretContext } from '../set-secret-command.js';
import { RefusalError } from './refusal.js';

/** The tenant secret that holds each kind of key, where Outpost has one. */
const SECRET_FOR: Partial<Record<TokenKind, SecretName>> = {
  github: 'github_token',
  anthropic: 'anthropic_api_key',
  openai: 'openai_api_key',
  xai: 'xai_api_key',
  google: 'gemini_api_key',
};

/**
 * Refuses a dispatch whose task or tags carry a credential-shaped string (the formats redact()
 * knows), as GitHub push protection refuses a push: a task is stored in the runs table with its
 * run and shown by get_run and list_runs, so a key in it would live on where keys must not. The
 * message shows only the format's prefix, never the key, and says where the key belongs.
 */
export function refuseTokenShapedSecrets(ctx: SetSecretContext, tenantId: string, input: { task: string; tags?: Tags | undefined }): void {
  const fields: [string, string][] = [['task', input.task]];
  for (const [k, v] of Object.entries(input.tags ?? {})) fields.push([`tag ${JSON.stringify(k)}`, `${k} ${v}`]);
  for (const [where, text] of fields) {
    const found = findTokenShapedSecret(text);
    if (found) throw new RefusalError(message(ctx, tenantId, where, found));
  }
}

function message(ctx: SetSecretContext, tenantId: string, where: string, found: TokenFound): string {
  const at = where === 'task' ? ` (at character ${found.index + 1})` : '';
  const head =
    `dispatch refused: ${found.label} (${found.shape}) in ${where}${at}. Outpost refuses secrets in dispatch input, as push protection ` +
    'does: the task and tags are stored with the run and shown by get_run and list_runs. Remove it and dispatch again.';
  const secret = secretFor(found);
  if (secret) {
    return `${head} The agent gets its key from your tenant's secrets instead; to store this one, ${setSecretAdvice(ctx, [setSecretCommand(ctx, tenantId, secret)])}`;
  }
  return (
    `${head} Agents get keys only from your tenant's secrets (npm run tenant -- set-secret --name NAME; names: ` +
    `${SECRET_NAMES.join(', ')}); Outpost stores none for ${found.label}, so give the agent a task that needs none.`
  );
}

/** A Claude subscription token is `sk-ant-oat…`: it goes in claude_code_oauth_token, not the API key. */
function secretFor(found: TokenFound): SecretName | undefined {
  if (found.kind === 'anthropic' && found.match.startsWith('sk-ant-oat')) return 'claude_code_oauth_token';
  return SECRET_FOR[found.kind];
}
