import type { AgentName, Provider, RunErrorCode, Usage } from '@outpost/shared';

/** What an adapter gets to build its command line and its setup. */
export interface AgentInvocation {
  task: string;
  model?: string | undefined;
  /** The agent's HOME (absolute; fresh per run, owned by the agent). */
  home: string;
  /**
   * Provider base URLs from the deployment (OUTPOST_<PROVIDER>_BASE_URL); a missing entry means
   * the vendor's default. An adapter must hand its CLI an endpoint in every case (the default
   * too), so a repository's own settings can never choose one.
   */
  endpoints: Partial<Record<Provider, string>>;
  /**
   * Set when the task is too large for one argv element (Linux caps one at 128 KiB): a file
   * holding the task, readable by the agent. Adapters with `largeTask: 'stdin'` get it on stdin.
   */
  taskFile?: string | undefined;
  /** A follow-up: the parent's session id, restored under HOME, for the CLI to resume. */
  resumeSessionId?: string | undefined;
}

/** Tasks above this many bytes go through a file or stdin instead of argv. */
export const ARGV_TASK_LIMIT = 96 * 1024;

/** The short prompt given on argv when the real task arrives on stdin. */
export const STDIN_PROMPT = 'Follow the instructions given on standard input.';

/** Why the agent's own output says the run failed (it may still have exited 0). */
export type AgentFailureCode = Extract<RunErrorCode, 'provider_auth' | 'provider_rate_limited' | 'provider_error' | 'agent_failed'>;

export interface AgentFailure {
  code: AgentFailureCode;
  /** What the agent said, short (the run's error adds the last lines of output). */
  message: string;
}

/** What the worker learned from the agent's output. */
export interface AgentResult {
  finalMessage?: string;
  usage?: Usage;
  /** Set when the output shows the run failed: a run succeeds only on exit 0 without one. */
  failure?: AgentFailure;
  /** The CLI's session id, when it printed one (kept so a follow-up can resume it). */
  sessionId?: string;
}

/** Where a CLI keeps a resumable session under HOME, for the archive a follow-up restores. */
export interface SessionStore {
  /** The files of session `id`, relative to HOME. */
  files(home: string, id: string): Promise<string[]>;
  /** Where an archived file goes in a follow-up's HOME (relative), its working directory being `cwd`; undefined drops it. */
  restorePath(rel: string, cwd: string): string | undefined;
}

/** Reads the agent's output line by line; must keep bounded state (output can be gigabytes). */
export interface OutputParser {
  /**
   * One line of stdout or stderr. Returns 'stop' when the output shows a failure no retry of the
   * CLI's own can mend (a refused key): the worker then stops the agent at once.
   */
  line(text: string, stream: 'out' | 'err'): 'stop' | void;
  result(): AgentResult;
}

/** What an agent needs beyond buildAgentEnv's environment. */
export interface AgentSetup {
  /** Added to the agent's environment. */
  env?: Record<string, string>;
  /** Written under HOME before the agent starts (path relative to HOME → content), owned by the agent, mode 0600. */
  homeFiles?: Record<string, string>;
}

/** One coding agent CLI: how to call it headless and how to read what it prints. */
export interface AgentAdapter {
  name: AgentName;
  /** argv after the binary; the task is one element, never shell text (except `shell`, whose task is a script). */
  args(invocation: AgentInvocation): string[];
  /** How a task over ARGV_TASK_LIMIT reaches the CLI: on stdin, or through `taskFile` in argv. */
  largeTask: 'stdin' | 'file';
  /** argv that proves the binary runs (`--version`; its first line is reported as the version). */
  probeArgs: string[];
  /** Endpoint, trust and settings files and variables; called before args(). */
  setup?(invocation: AgentInvocation): AgentSetup;
  parser(): OutputParser;
  /** Set when the CLI can resume a session headless (args() then honours resumeSessionId). */
  session?: SessionStore;
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

/**
 * A provider error named in an agent's output, by HTTP status or the provider's words; undefined
 * when the text names none. One table for every adapter, so codes mean the same everywhere.
 */
export function providerFailureCode(text: string): AgentFailureCode | undefined {
  if (/\b(401|403)\b|authentication_error|invalid[ _-]?(x-)?api[ _-]?key|api key not valid|unauthori[sz]ed|permission_denied|incorrect api key/i.test(text)) return 'provider_auth';
  if (/\b429\b|rate[ _-]?limit|too many requests|resource_exhausted|quota/i.test(text)) return 'provider_rate_limited';
  if (/\b(500|502|503|504|529)\b|overloaded|internal server error|service unavailable|api_error|bad gateway/i.test(text)) return 'provider_error';
  return undefined;
}
