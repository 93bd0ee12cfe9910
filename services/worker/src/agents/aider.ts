import type { AgentAdapter, AgentResult, OutputParser } from './types.js';
import { clip, compactUsage, TailLines } from './types.js';

// "Tokens: 12k sent, 1.5k received. Cost: $0.01 message, $0.03 session."
const TOKENS_RE = /Tokens:\s*([\d.]+)(k|m)?\s+sent(?:,\s*([\d.]+)(k|m)?\s+cache write)?(?:,\s*([\d.]+)(k|m)?\s+cache hit)?,\s*([\d.]+)(k|m)?\s+received\.(?:\s*Cost:\s*\$([\d.]+)\s+message,\s*\$([\d.]+)\s+session)?/i;

function amount(value: string | undefined, unit: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  const mult = unit?.toLowerCase() === 'k' ? 1e3 : unit?.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(n * mult);
}

/**
 * Aider headless: `aider --message=… --yes-always --no-auto-commits`. Plain text; the final
 * message is its last lines, usage comes from its "Tokens: … Cost: …" report (last one wins;
 * the session cost is cumulative).
 */
export const aiderAdapter: AgentAdapter = {
  name: 'aider',
  args: ({ task, model, taskFile }) => [
    taskFile ? `--message-file=${taskFile}` : `--message=${task}`,
    '--yes-always',
    '--no-auto-commits',
    '--no-pretty',
    '--no-stream',
    '--no-check-update',
    '--no-show-release-notes',
    '--no-gitignore',
    ...(model ? ['--model', model] : []),
  ],
  largeTask: 'file',
  probeArgs: ['--version'],
  parser: () => new AiderParser(),
};

class AiderParser implements OutputParser {
  private tail = new TailLines(30);
  private input = 0;
  private output = 0;
  private cost: number | undefined;

  line(text: string, stream: 'out' | 'err'): void {
    if (stream === 'err') return;
    const m = TOKENS_RE.exec(text);
    if (m) {
      this.input += amount(m[1], m[2]) ?? 0;
      this.output += amount(m[7], m[8]) ?? 0;
      if (m[10] !== undefined) this.cost = Number(m[10]);
      return;
    }
    if (text.trim()) this.tail.push(text);
  }

  result(): AgentResult {
    const usage = this.input || this.output || this.cost !== undefined
      ? compactUsage({ inputTokens: this.input, outputTokens: this.output, costUsd: this.cost })
      : undefined;
    const text = this.tail.text();
    return { ...(text ? { finalMessage: clip(text) } : {}), ...(usage ? { usage } : {}) };
  }
}
