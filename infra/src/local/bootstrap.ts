import { readFile, writeFile, chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TenantStore, type Logger } from '@outpost/shared';

/** `.outpost/local.json`: how a local MCP client reaches this stack. */
export const LocalJson = z.object({ mcpUrl: z.string(), apiKey: z.string(), tenantId: z.string() });
export type LocalJson = z.infer<typeof LocalJson>;

export function localJsonPath(home: string): string {
  return path.join(home, 'local.json');
}

/** What ensureLocalTenant() found or made. */
export interface LocalTenant extends LocalJson {
  /** A new tenant was made (first start, or local.json was missing or unreadable). */
  created: boolean;
  /** The key is new this start: the only time the launcher prints it in full. */
  keyCreated: boolean;
}

/**
 * The local tenant and its API key: reused when local.json still holds a working key, a new key
 * for the same tenant when the key no longer resolves, a new tenant on first start.
 */
export async function ensureLocalTenant(tenants: TenantStore, home: string, mcpUrl: string, logger: Logger): Promise<LocalTenant> {
  const file = localJsonPath(home);
  let previous: LocalJson | undefined;
  try {
    previous = LocalJson.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    previous = undefined;
  }
  let result: LocalJson;
  let created = false;
  let keyCreated = true;
  if (previous && (await tenants.resolveApiKey(previous.apiKey))?.tenantId === previous.tenantId) {
    result = { ...previous, mcpUrl };
    keyCreated = false;
  } else if (previous && (await tenants.getTenant(previous.tenantId))) {
    const { apiKey } = await tenants.createApiKey(previous.tenantId, 'test');
    result = { mcpUrl, apiKey, tenantId: previous.tenantId };
    logger.info({ tenantId: previous.tenantId }, 'issued a new local API key');
  } else {
    const tenant = await tenants.createTenant({ name: 'local', tier: 'enterprise' });
    const { apiKey } = await tenants.createApiKey(tenant.tenantId, 'test');
    result = { mcpUrl, apiKey, tenantId: tenant.tenantId };
    created = true;
  }
  await mkdir(home, { recursive: true });
  // Write a new 0600 file and rename it over the old one: the key is never readable with the
  // old file's (possibly wider) mode, and a crash never leaves a half-written local.json.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return { ...result, created, keyCreated };
}
