import type { AgentAdapter, AgentResult, OutputParser } from './types.js';
import { clip, compactUsage, num, obj, STDIN_PROMPT, TailLines, tryJson } from './types.js';

/**
 * Grok CLI headless: `grok --prompt …`. Prints chat messages as JSON lines
 * (`{"role":"assistant","content":…}`); a `usage` object, when present, is OpenAI-shaped.
 * Plain-text output is accepted too (the last lines become the final message).
 */
export const grokAdapter: AgentAdapter = {
  name: 'grok',
  args: ({ task, model, taskFile }) => [`--prompt=${taskFile ? STDIN_PROMPT : task}`, ...(model ? ['--model', model] : [])],
  largeTask: 'stdin',
  probeArgs: ['--version'],
  parser: () => new GrokParser(),
};

class GrokParser implements OutputParser {
  private last: string | undefined;
  private tail = new TailLines(20);
  private input = 0;
  private output = 0;
  private saw = false;

  line(text: string, stream: 'out' | 'err'): void {
    if (stream === 'err') return;
    const ev = tryJson(text);
    if (!ev) {
      if (text.trim()) this.tail.push(text);
      return;
    }
    if (ev.role === 'assistant' && typeof ev.content === 'string' && ev.content.trim()) this.last = ev.content;
    const u = obj(ev.usage);
    if (u) {
      this.saw = true;
      this.input += num(u.prompt_tokens) ?? 0;
      this.output += num(u.completion_tokens) ?? 0;
    }
  }

  result(): AgentResult {
    const usage = this.saw ? compactUsage({ inputTokens: this.input, outputTokens: this.output }) : undefined;
    const msg = this.last ?? this.tail.text();
    return { ...(msg ? { finalMessage: clip(msg) } : {}), ...(usage ? { usage } : {}) };
  }
}
