/**
 * What the scripted model API answers. A script is a list of turns; the turn a request gets is
 * chosen by how many tool results its conversation already holds, so the API keeps no state
 * between requests and a CLI's own retries get the same answer again.
 */
export type Turn =
  /** Call the CLI's own shell tool with this command. */
  | { kind: 'shell'; command: string }
  /**
   * Call the offered tool named `suffix`, or whose name ends in it after a separator: an MCP
   * tool as each CLI names it for its model (`mcp__outpost__fleet_status`, …).
   */
  | { kind: 'tool'; suffix: string; args: Record<string, unknown> }
  /** A final assistant message; the conversation ends. */
  | { kind: 'final'; text: string }
  /** Answer with this HTTP status (and a provider-shaped error body) from here on. */
  | { kind: 'status'; status: 401 | 403 | 429 | 500 | 503 | 529; message?: string }
  /** Start the streamed answer, then cut the connection midway. */
  | { kind: 'cut' }
  /** Call the shell tool with this command, again and again: an agent that never stops. */
  | { kind: 'loop'; command: string };

export type Script = readonly Turn[];

/** Token counts the API reports with every answer (so usage parsing can be checked). */
export interface ScriptUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const DEFAULT_USAGE: ScriptUsage = { inputTokens: 1234, outputTokens: 56, cacheReadTokens: 78, cacheWriteTokens: 9 };

/**
 * The turn for a conversation that already holds `toolResults` tool results: the first turn that
 * is not a `shell` or `tool` call already answered. A script that runs out ends with a plain final message.
 */
export function turnAt(script: Script, toolResults: number): Turn {
  let calls = 0;
  for (const turn of script) {
    if (turn.kind === 'shell' || turn.kind === 'tool') {
      if (calls === toolResults) return turn;
      calls += 1;
      continue;
    }
    if (toolResults >= calls) return turn;
  }
  return { kind: 'final', text: 'done' };
}

/**
 * The offered tool a `tool` turn calls: the one named `suffix`, else the one whose name ends in
 * `suffix` after a `_`, `.`, `-` or `/` (the prefix a client adds for its server). Undefined when
 * none or more than one match: the script names a tool the request does not offer unambiguously.
 */
export function toolBySuffix(names: readonly string[], suffix: string): string | undefined {
  if (names.includes(suffix)) return suffix;
  const found = names.filter((n) => n.length > suffix.length && n.endsWith(suffix) && /[_.\-/]/.test(n[n.length - suffix.length - 1]!));
  return found.length === 1 ? found[0] : undefined;
}
