import { parseArgs } from 'node:util';
import { parameterPaths, SECRET_NAMES, SecretName, TenantNotFoundError, TierName, UsageError, type ParameterStore, type Stores } from '@outpost/shared';
import type { TenantDirectory } from './tenant-directory.js';
import { runWebhookCommand, WEBHOOK_USAGE, type WebhookCommandDeps } from './webhook-commands.js';

export const USAGE = `usage: npm run tenant -- <command> [options]

  create     --name NAME --tier free|pro|enterprise [--kind live|test]   new tenant + API key (kind: test in local mode, else live)
  list                                                                  tenants created here (and the local one), with key prefixes
  set-tier   --tenant TENANT_ID --tier free|pro|enterprise              change a tenant's tier
  create-key --tenant TENANT_ID [--kind live|test]                      another API key for a tenant
  revoke-key --key API_KEY_OR_SHA256                                    revoke a key (edges stop accepting it within their cache TTL)
  sessions list   [--tenant TENANT_ID]                                  a tenant's dashboard sign-ins (hash prefix, created, expires, revoked)
  sessions revoke [--tenant TENANT_ID] (--all | --session HASH_PREFIX)  sign out every dashboard session of a tenant, or one (at once)
  set-secret --name SECRET [--tenant TENANT_ID] [--kms-key KEY]         store a BYOK secret read from standard input
             (SECRET: ${SECRET_NAMES.join(', ')};
              local mode: the tenant defaults to the local one, e.g. printf %s "$KEY" | npm run tenant -- set-secret --name anthropic_api_key;
              aws mode: --kms-key is required, the stack's secrets_kms_alias output)
  (sessions and set-secret: local mode defaults --tenant to the local one)
${WEBHOOK_USAGE}

Prints JSON. Talks to DynamoDB directly: in local mode it finds the running stack via .outpost/endpoints.json.`;

export interface TenantCommandDeps {
  stores: Pick<Stores, 'tenants' | 'sessions'>;
  directory: TenantDirectory;
  /**
   * Local mode: keys are `op_test_` unless `--kind live` is given (a laptop stack has no business
   * handing out live-looking keys), and `list` includes the tenant `npm start` made, which this
   * command's directory never saw.
   */
  local?: { tenantId?: string };
  /** Where BYOK secrets go (SSM SecureString in aws mode, `.outpost/secrets.json` locally). */
  secrets?: {
    params: ParameterStore;
    env: string;
    /** The secret value; read from stdin so it never appears in argv, ps or shell history. */
    read: () => Promise<string>;
    /** The tenant when --tenant is omitted (the local tenant in local mode). */
    defaultTenantId?: string;
    /** aws mode: a SecureString must use the stack's key, which the workers may decrypt. */
    requireKmsKey?: boolean;
  };
  /** `webhook …` commands (docs/webhooks.md). */
  webhooks?: WebhookCommandDeps;
}

/** Runs one admin command and returns what to print as JSON. */
export async function runTenantCommand(argv: readonly string[], deps: TenantCommandDeps): Promise<unknown> {
  const [command, ...afterCommand] = argv;
  if (command === 'webhook') {
    if (!deps.webhooks) throw new UsageError('webhook commands are not available here');
    return runWebhookCommand(afterCommand, deps.webhooks);
  }
  // `sessions` takes a sub-command (list, revoke) before its options.
  const sub = command === 'sessions' ? afterCommand[0] : undefined;
  const rest = command === 'sessions' ? afterCommand.slice(1) : afterCommand;
  const { values } = parseArgsSafe(rest);
  const { tenants } = deps.stores;
  switch (command) {
    case 'create': {
      const name = required(values.name, '--name');
      const tier = parseTier(values.tier);
      const tenant = await tenants.createTenant({ name, tier });
      await deps.directory.add(tenant.tenantId);
      const { apiKey } = await tenants.createApiKey(tenant.tenantId, parseKind(values.kind, deps.local ? 'test' : 'live'));
      return { tenantId: tenant.tenantId, apiKey, name: tenant.name, tier: tenant.tier };
    }
    case 'list': {
      const ids = new Set(await deps.directory.ids());
      const localId = deps.local?.tenantId;
      if (localId) ids.add(localId);
      const list = await deps.directory.load([...ids]);
      return {
        tenants: await Promise.all(
          list.map(async (t) => ({
            ...t,
            ...(t.tenantId === localId ? { local: true } : {}),
            keys: (await tenants.listApiKeys(t.tenantId)).map((k) => ({ prefix: k.prefix, createdAt: k.createdAt, ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}) })),
          })),
        ),
      };
    }
    case 'set-tier': {
      const tenantId = required(values.tenant, '--tenant');
      try {
        return await tenants.setTier(tenantId, parseTier(values.tier));
      } catch (err) {
        if (err instanceof TenantNotFoundError) throw new UsageError(`no tenant ${tenantId}`);
        throw err;
      }
    }
    case 'create-key': {
      const tenantId = required(values.tenant, '--tenant');
      if (!(await tenants.getTenant(tenantId))) throw new UsageError(`no tenant ${tenantId}`);
      const { apiKey, record } = await tenants.createApiKey(tenantId, parseKind(values.kind, deps.local ? 'test' : 'live'));
      return { tenantId, apiKey, prefix: record.prefix };
    }
    case 'revoke-key': {
      const key = required(values.key, '--key');
      try {
        const record = await tenants.revokeApiKey(key);
        return { tenantId: record.tenantId, prefix: record.prefix, revokedAt: record.revokedAt };
      } catch (err) {
        if (err instanceof Error && err.message === 'no such API key') throw new UsageError('no such API key');
        throw err;
      }
    }
    case 'sessions': {
      const tenantId = values.tenant ?? deps.local?.tenantId;
      if (!tenantId) throw new UsageError('--tenant is required');
      if (!(await tenants.getTenant(tenantId))) throw new UsageError(`no tenant ${tenantId}`);
      return sessionsCommand(deps, sub, tenantId, values);
    }
    case 'set-secret': {
      if (!deps.secrets) throw new UsageError('set-secret is not available here');
      const name = SecretName.safeParse(values.name);
      if (!name.success) throw new UsageError(`--name must be one of ${SECRET_NAMES.join(', ')}`);
      const tenantId = values.tenant ?? deps.secrets.defaultTenantId;
      if (!tenantId) throw new UsageError('--tenant is required');
      if (!(await tenants.getTenant(tenantId))) throw new UsageError(`no tenant ${tenantId}`);
      const keyId = values['kms-key'];
      if (deps.secrets.requireKmsKey && !keyId) throw new UsageError("--kms-key is required in aws mode (the stack's secrets_kms_alias output, e.g. alias/outpost-prod-secrets)");
      const value = (await deps.secrets.read()).trim();
      if (!value) throw new UsageError('pipe the secret on standard input, e.g. printf %s "$KEY" | npm run tenant -- set-secret --name NAME');
      await deps.secrets.params.put(parameterPaths.tenantSecret(deps.secrets.env, tenantId, name.data), value, { secure: true, ...(keyId ? { keyId } : {}) });
      // Never echo the value, nor any part of it.
      return { tenantId, name: name.data, stored: true };
    }
    default:
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'no command given');
  }
}

/** `sessions list|revoke`: the hash prefix names a session (the cookie itself is never stored). */
async function sessionsCommand(deps: TenantCommandDeps, sub: string | undefined, tenantId: string, values: { all?: boolean; session?: string }) {
  const { sessions } = deps.stores;
  const now = Date.now();
  const list = await sessions.listForTenant(tenantId);
  const view = (x: (typeof list)[number]) => ({
    session: x.sessionHash.slice(0, 12),
    createdAt: x.createdAt,
    expiresAt: x.expiresAt,
    ...(x.revokedAt ? { revokedAt: x.revokedAt } : {}),
    live: !x.revokedAt && Date.parse(x.expiresAt) > now,
  });
  switch (sub) {
    case 'list':
      return { tenantId, sessions: list.map(view) };
    case 'revoke': {
      if (values.all) return { tenantId, revoked: await sessions.revokeAllForTenant(tenantId) };
      const prefix = values.session;
      if (!prefix || !/^[0-9a-f]{8,64}$/.test(prefix)) throw new UsageError('pass --all, or --session with 8 or more hex characters of a session (sessions list shows them)');
      const matches = list.filter((x) => x.sessionHash.startsWith(prefix));
      if (matches.length !== 1) throw new UsageError(matches.length === 0 ? `no session ${prefix} for tenant ${tenantId}` : `${prefix} names ${matches.length} sessions; give more characters`);
      await sessions.revoke(matches[0]!.sessionHash);
      return { tenantId, revoked: 1, session: prefix };
    }
    default:
      throw new UsageError('sessions takes list or revoke');
  }
}

function parseArgsSafe(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        name: { type: 'string' },
        tier: { type: 'string' },
        tenant: { type: 'string' },
        key: { type: 'string' },
        kind: { type: 'string' },
        'kms-key': { type: 'string' },
        all: { type: 'boolean' },
        session: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

function parseTier(value: string | undefined): TierName {
  const tier = TierName.safeParse(value);
  if (!tier.success) throw new UsageError(`--tier must be one of ${TierName.options.join(', ')}`);
  return tier.data;
}

function parseKind(value: string | undefined, fallback: 'live' | 'test'): 'live' | 'test' {
  if (value === undefined) return fallback;
  if (value === 'live') return 'live';
  if (value === 'test') return 'test';
  throw new UsageError('--kind must be live or test');
}
