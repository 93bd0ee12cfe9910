import type { AgentAdapter, AgentResult, OutputParser } from './types.js';
import { clip, compactUsage, num, obj, tryJson } from './types.js';

/**
 * Claude Code headless: `claude -p --output-format stream-json --verbose`. Each stdout line is a
 * JSON event; the final `result` event carries the answer, `usage` and `total_cost_usd`.
 */
export const claudeAdapter: AgentAdapter = {
  name: 'claude',
  // Without a prompt argument, `claude -p` reads the prompt from stdin.
  args: ({ task, model, taskFile }) => [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--dangerously-skip-permissions',
    ...(model ? ['--model', model] : []),
    ...(taskFile ? [] : ['--', task]),
  ],
  largeTask: 'stdin',
  probeArgs: ['--version'],
  parser: () => new ClaudeParser(),
};

class ClaudeParser implements OutputParser {
  private lastText: string | undefined;
  private res: AgentResult = {};

  line(text: string, stream: 'out' | 'err'): void {
    if (stream === 'err') return;
    const ev = tryJson(text);
    if (!ev) return;
    if (ev.type === 'assistant') {
      const content = obj(ev.message)?.content;
      if (Array.isArray(content)) {
        const texts = content.map((c) => obj(c)).filter((c) => c?.type === 'text' && typeof c.text === 'string');
        if (texts.length > 0) this.lastText = texts.map((c) => String(c?.text)).join('\n');
      }
    } else if (ev.type === 'result') {
      const usage = obj(ev.usage) ?? {};
      const u = compactUsage({
        inputTokens: num(usage.input_tokens),
        outputTokens: num(usage.output_tokens),
        cacheReadTokens: num(usage.cache_read_input_tokens),
        cacheWriteTokens: num(usage.cache_creation_input_tokens),
        costUsd: num(ev.total_cost_usd),
      });
      this.res = {
        ...(typeof ev.result === 'string' ? { finalMessage: clip(ev.result) } : {}),
        ...(u ? { usage: u } : {}),
      };
    }
  }

  result(): AgentResult {
    if (this.res.finalMessage === undefined && this.lastText !== undefined) return { ...this.res, finalMessage: clip(this.lastText) };
    return this.res;
  }
}
