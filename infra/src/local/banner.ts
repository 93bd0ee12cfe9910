import path from 'node:path';
import type { LocalJson } from './bootstrap.js';

/** The stdio MCP server's entry in a built checkout: run with `node`, from any directory. */
export function stdioEntry(root: string): string {
  return path.join(root, 'services/mcp-edge/dist/stdio.js');
}

/** One word for a POSIX shell: left bare when it is plain, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ConnectCommandsInput {
  local: LocalJson;
  /** Absolute OUTPOST_HOME of the running stack. */
  home: string;
  /** Repository root holding services/. */
  root: string;
}

/**
 * The `claude mcp add` lines for this stack. The stdio line runs the checkout's built entry with
 * `node` and names OUTPOST_HOME, so it works from any directory and never asks a registry for a
 * package (`npx outpost-mcp` would: the bin is not linked before a build, and the name is not ours
 * on the public registry, so whoever claimed it would be handed the key).
 */
export function connectCommands({ local, home, root }: ConnectCommandsInput): { http: string; stdio: string } {
  return {
    http: `claude mcp add --transport http outpost ${shellQuote(local.mcpUrl)} --header "Authorization: Bearer ${local.apiKey}"`,
    stdio: `claude mcp add outpost -e ${shellQuote(`OUTPOST_API_KEY=${local.apiKey}`)} -e ${shellQuote(`OUTPOST_HOME=${home}`)} -- node ${shellQuote(stdioEntry(root))}`,
  };
}
