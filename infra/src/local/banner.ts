import path from 'node:path';
import { localJsonPath, type LocalTenant } from './bootstrap.js';

/** The stdio MCP server's entry (the `outpost-mcp` bin) in a built checkout: run with `node`, from any directory. */
export function stdioEntry(root: string): string {
  return path.join(root, 'packages/outpost-mcp/dist/main.js');
}

/** One word for a POSIX shell: left bare when it is plain, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A key as it may be shown in scrollback: the prefix the api-keys table stores, nothing more. */
export function maskApiKey(apiKey: string): string {
  return `${apiKey.slice(0, 12)}…`;
}

export interface BannerInput {
  local: LocalTenant;
  /** Absolute OUTPOST_HOME of the running stack. */
  home: string;
  /** Repository root holding services/. */
  root: string;
}

/**
 * The `claude mcp add` lines for this stack. The stdio line runs the checkout's built entry with
 * `node` and names OUTPOST_HOME, so it works from any directory and never asks a registry for a
 * package (`npx outpost-mcp` would: the bin is not linked before a build, and the name is not ours
 * on the public registry, so whoever claimed it would be handed the key). A key made on an earlier
 * start is not printed again: the lines read it from local.json as they run.
 */
export function connectCommands({ local, home, root }: BannerInput): { oauth: string; http: string; stdio: string } {
  const key = local.keyCreated ? local.apiKey : `$(node -p ${shellQuote(`require(${JSON.stringify(localJsonPath(home))}).apiKey`)})`;
  return {
    // No key at all: the client signs in through the edge's OAuth page (it asks for the key once).
    oauth: `claude mcp add --transport http outpost ${shellQuote(local.mcpUrl)}`,
    http: `claude mcp add --transport http outpost ${shellQuote(local.mcpUrl)} --header "Authorization: Bearer ${key}"`,
    stdio: `claude mcp add outpost -e "OUTPOST_API_KEY=${key}" -e ${shellQuote(`OUTPOST_HOME=${home}`)} -- node ${shellQuote(stdioEntry(root))}`,
  };
}

/** The web dashboard: the edge serves it at its root, beside /mcp. */
export function dashboardUrl(mcpUrl: string): string {
  return new URL('/', mcpUrl).href;
}

/** What `npm start` prints once the stack is up. The full key appears only on the start that made it. */
export function bannerLines(input: BannerInput & { skipped: string[]; agentsFromCache: string[]; services: string[] }): string[] {
  const { local, home } = input;
  const file = localJsonPath(home);
  const connect = connectCommands(input);
  return [
    '',
    'Outpost is running locally.',
    `  MCP URL:   ${local.mcpUrl}`,
    `  Dashboard: ${dashboardUrl(local.mcpUrl)}  (sign in with the API key)`,
    local.keyCreated
      ? `  API key:   ${local.apiKey}  (new: shown this once; kept in the file below)`
      : `  API key:   ${maskApiKey(local.apiKey)}  (not shown again; it is in the file below)`,
    `  Tenant:    ${local.tenantId}`,
    `  Saved to:  ${file} (mode 0600)`,
    '',
    'Connect Claude Code over HTTP, signing in in the browser (then /mcp → Authenticate in Claude Code):',
    `  ${connect.oauth}`,
    'or with the API key as a bearer token:',
    `  ${connect.http}`,
    'or over stdio (from any directory; the stack must be running):',
    `  ${connect.stdio}`,
    '',
    ...input.skipped.map((s) => `  skipped: ${s} is not built yet`),
    `Agent CLIs from the cache: ${input.agentsFromCache.join(', ') || 'none'} (npm run agents -- install adds the pinned ones).`,
    `Services: ${input.services.join(', ') || 'none'}. Press Ctrl-C to stop.`,
    '',
  ];
}
