import type { AgentName, Usage } from '@outpost/shared';

/** What an adapter gets to build its command line. */
export interface AgentInvocation {
  task: string;
  model?: string | undefined;
  /**
   * Set when the task is too large for one argv element (Linux caps one at 128 KiB): a file
   * holding the task, readable by the agent. Adapters with `largeTask: 'stdin'` get it on stdin.
   */
  taskFile?: string | undefined;
}

/** Tasks above this many bytes go through a file or stdin instead of argv. */
export const ARGV_TASK_LIMIT = 96 * 1024;

/** The short prompt given on argv when the real task arrives on stdin. */
export const STDIN_PROMPT = 'Follow the instructions given on standard input.';

/** What the worker learned from the agent's output. */
export interface AgentResult {
  finalMessage?: string;
  usage?: Usage;
}

/** Reads the agent's stdout line by line; must keep bounded state (output can be gigabytes). */
export interface OutputParser {
  line(text: string): void;
  result(): AgentResult;
}

/** One coding agent CLI: how to call it headless and how to read what it prints. */
export interface AgentAdapter {
  name: AgentName;
  /** argv after the binary; the task is one element, never shell text (except `shell`, whose task is a script). */
  args(invocation: AgentInvocation): string[];
  /** How a task over ARGV_TASK_LIMIT reaches the CLI: on stdin, or through `taskFile` in argv. */
  largeTask: 'stdin' | 'file';
  /** argv that proves the binary runs (`--version`). */
  probeArgs: string[];
  parser(): OutputParser;
}

/** Longest final message kept (RunSummary.finalMessage allows 20,000). */
export const MAX_FINAL_MESSAGE = 16_000;

export function clip(text: string, max = MAX_FINAL_MESSAGE): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** JSON.parse for a line that may not be JSON. */
export function tryJson(text: string): Record<string, unknown> | undefined {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Drops undefined fields; undefined when nothing is left. */
export function compactUsage(u: Usage): Usage | undefined {
  const out = Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)) as Usage;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Keeps the last `max` lines of plain text (for agents whose final message is just their last output). */
export class TailLines {
  private lines: string[] = [];
  constructor(private readonly max = 40) {}
  push(line: string): void {
    this.lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n').trim();
  }
}
