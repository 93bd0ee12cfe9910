import { VENDOR_BASE_URLS } from '@outpost/shared';
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
  // aider reaches every provider through litellm, which reads these (untested against the real CLI: see README).
  setup: ({ endpoints }) => ({
    env: {
      ANTHROPIC_API_BASE: endpoints.anthropic ?? VENDOR_BASE_URLS.anthropic,
      ANTHROPIC_BASE_URL: endpoints.anthropic ?? VENDOR_BASE_URLS.anthropic,
      OPENAI_API_BASE: endpoints.openai ?? VENDOR_BASE_URLS.openai,
      OPENAI_BASE_URL: endpoints.openai ?? VENDOR_BASE_URLS.openai,
      GEMINI_API_BASE: endpoints.gemini ?? VENDOR_BASE_URLS.gemini,
      XAI_API_BASE: endpoints.xai ?? VENDOR_BASE_URLS.xai,
      AIDER_CHECK_UPDATE: 'false',
      AIDER_ANALYTICS: 'false',
    },
  }),
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
