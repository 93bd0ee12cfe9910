import type { AgentAdapter, AgentResult, OutputParser } from './types.js';
import { clip, compactUsage, num, obj, tryJson } from './types.js';

/**
 * Codex CLI headless: `codex exec --json`. JSONL events; `item.completed` items of type
 * `agent_message` carry the answer, `turn.completed` carries token usage.
 */
export const codexAdapter: AgentAdapter = {
  name: 'codex',
  args: ({ task, model, taskFile }) => [
    'exec',
    '--json',
    '--skip-git-repo-check',
    '--dangerously-bypass-approvals-and-sandbox',
    ...(model ? ['--model', model] : []),
    // `-` makes codex read the prompt from stdin.
    ...(taskFile ? ['-'] : ['--', task]),
  ],
  largeTask: 'stdin',
  probeArgs: ['--version'],
  parser: () => new CodexParser(),
};

class CodexParser implements OutputParser {
  private finalMessage: string | undefined;
  private input = 0;
  private cached = 0;
  private output = 0;
  private sawUsage = false;

  line(text: string, stream: 'out' | 'err'): void {
    if (stream === 'err') return;
    const ev = tryJson(text);
    if (!ev) return;
    if (ev.type === 'item.completed') {
      const item = obj(ev.item);
      if (item && (item.type === 'agent_message' || item.item_type === 'assistant_message') && typeof item.text === 'string') {
        this.finalMessage = clip(item.text);
      }
    } else if (ev.type === 'turn.completed') {
      const u = obj(ev.usage);
      if (u) {
        this.sawUsage = true;
        this.input += num(u.input_tokens) ?? 0;
        this.cached += num(u.cached_input_tokens) ?? 0;
        this.output += num(u.output_tokens) ?? 0;
      }
    }
  }

  result(): AgentResult {
    const usage = this.sawUsage
      ? compactUsage({ inputTokens: this.input, outputTokens: this.output, cacheReadTokens: this.cached })
      : undefined;
    return { ...(this.finalMessage !== undefined ? { finalMessage: this.finalMessage } : {}), ...(usage ? { usage } : {}) };
  }
}
