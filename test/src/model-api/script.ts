/**
 * What the scripted model API answers. A script is a list of turns; the turn a request gets is
 * chosen by how many tool results its conversation already holds, so the API keeps no state
 * between requests and a CLI's own retries get the same answer again.
 */
export type Turn =
  /** Call the CLI's own shell tool with this command. */
  | { kind: 'shell'; command: string }
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
 * is not a `shell` call already answered. A script that runs out ends with a plain final message.
 */
export function turnAt(script: Script, toolResults: number): Turn {
  let calls = 0;
  for (const turn of script) {
    if (turn.kind === 'shell') {
      if (calls === toolResults) return turn;
      calls += 1;
      continue;
    }
    if (toolResults >= calls) return turn;
  }
  return { kind: 'final', text: 'done' };
}
