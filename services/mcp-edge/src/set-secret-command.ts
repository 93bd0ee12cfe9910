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

/** Who runs it: in local mode the caller runs the stack; in aws mode an operator holds the admin command. */
export function setSecretAdvice(ctx: SetSecretContext, commands: string[]): string {
  const lines = commands.join('\n  ');
  return ctx.mode === 'local' ? `run:\n  ${lines}` : `ask your Outpost operator to run:\n  ${lines}`;
}
