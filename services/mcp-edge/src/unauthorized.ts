import path from 'node:path';
import { API_KEY_PATTERN, type BaseConfig } from '@outpost/shared';
import { isAccessTokenShaped } from './oauth/provider.js';

/** Why a call got a 401. A revoked key is "unknown_or_revoked", like one that never existed. */
export type UnauthorizedReason = 'missing' | 'malformed' | 'unknown_or_revoked' | 'invalid_token';

/** JSON-RPC's "server error" range; -32001 is what MCP servers commonly use for "unauthorized". */
export const UNAUTHORIZED_CODE = -32001;

/** What was wrong with an `Authorization` header that did not resolve to a tenant. */
export function unauthorizedReason(header: string | undefined): UnauthorizedReason {
  if (!header?.trim()) return 'missing';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  // Ours (`opoa_…`) or a JWT (an external provider's): an access token, not a mistyped key.
  if (match?.[1] && (isAccessTokenShaped(match[1]) || match[1].split('.').length === 3)) return 'invalid_token';
  if (!match?.[1] || !API_KEY_PATTERN.test(match[1])) return 'malformed';
  return 'unknown_or_revoked';
}

/**
 * The 401's message: what is wrong, and where a key comes from (in local mode the file `npm start`
 * writes; everywhere the admin command). It never echoes the key, and says the same for a revoked
 * key as for an unknown one, so a 401 does not confirm that a key ever existed.
 */
export function unauthorizedMessage(reason: UnauthorizedReason, config: Pick<BaseConfig, 'mode' | 'home'>): string {
  const what = {
    missing: 'No API key: send the header `Authorization: Bearer <your Outpost API key>`.',
    malformed: 'The Authorization header is not an Outpost API key: it must be `Bearer op_live_…` or `Bearer op_test_…`.',
    unknown_or_revoked: 'This API key is unknown or revoked.',
    invalid_token: 'This OAuth access token is expired, revoked or not for this server: sign in again (your MCP client refreshes or reopens the sign-in page).',
  }[reason];
  const local =
    config.mode === 'local'
      ? ` This local stack's key is in ${path.join(config.home, 'local.json')} (\`npm start\` prints it on the start that creates it).`
      : ' Ask your Outpost operator for one.';
  return `${what}${local} An operator makes another with \`npm run tenant -- create-key --tenant TENANT_ID\`.`;
}

/**
 * The 401's `WWW-Authenticate` (RFC 6750, RFC 9728): with OAuth on, it names the protected-resource
 * metadata, which is how an MCP client finds where to sign in.
 */
export function wwwAuthenticate(header: string | undefined, resourceMetadataUrl: string | undefined): string {
  const parts = ['realm="outpost"'];
  if (resourceMetadataUrl) parts.push(`resource_metadata="${resourceMetadataUrl}"`);
  if (header?.trim()) parts.push('error="invalid_token"');
  return `Bearer ${parts.join(', ')}`;
}

/** The 401 body: a JSON-RPC error (the /mcp endpoint's other refusals are too). */
export function unauthorizedBody(header: string | undefined, config: Pick<BaseConfig, 'mode' | 'home'>): unknown {
  const reason = unauthorizedReason(header);
  return { jsonrpc: '2.0', error: { code: UNAUTHORIZED_CODE, message: unauthorizedMessage(reason, config), data: { reason } }, id: null };
}
