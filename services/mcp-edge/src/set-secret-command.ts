import type { BaseConfig, SecretName } from '@outpost/shared';

/** What a set-secret line needs from the edge's config. */
export type SetSecretContext = Pick<BaseConfig, 'mode' | 'prefix'>;

/**
 * The exact command that stores a tenant's secret, value read from standard input so it stays out
 * of shell history. aws mode needs the stack's KMS key, `alias/{prefix}-secrets` (infra names it so;
 * it is the stack's `secrets_kms_alias` output).
 */
export function setSecretCommand(ctx: SetSecretContext, tenantId: string, name: SecretName): string {
  const kms = ctx.mode === 'aws' ? ` --kms-key alias/${ctx.prefix}-secrets` : '';
  return `printf %s "$${name.toUpperCase()}" | npm run tenant -- set-secret --name ${name} --tenant ${tenantId}${kms}`;
}

/**
 * "run: <lines>", or in aws mode "ask your Outpost operator to run: <lines>" (there the admin
 * command needs the stack's credentials; locally the caller runs the stack).
 */
export function setSecretAdvice(ctx: SetSecretContext, commands: string[], options: { oneOf?: boolean } = {}): string {
  const lines = commands.join('\n  ');
  const run = `run${options.oneOf && commands.length > 1 ? ' one of' : ''}:\n  ${lines}`;
  return ctx.mode === 'local' ? run : `ask your Outpost operator to ${run}`;
}
