import type { AgentAdapter, AgentResult, OutputParser } from './types.js';
import { clip, compactUsage, num, obj, STDIN_PROMPT } from './types.js';

/** Largest JSON document kept for parsing; anything beyond is ignored (the log still has it). */
const MAX_JSON = 1024 * 1024;

/**
 * Gemini CLI headless: `gemini --prompt=… --output-format json`. stdout is one JSON document
 * `{response, stats: {models: {<model>: {tokens: {prompt, candidates, cached}}}}}`.
 */
export const geminiAdapter: AgentAdapter = {
  name: 'gemini',
  // Gemini appends stdin to the prompt in headless mode.
  args: ({ task, model, taskFile }) => [
    `--prompt=${taskFile ? STDIN_PROMPT : task}`,
    '--output-format',
    'json',
    '--yolo',
    ...(model ? ['--model', model] : []),
  ],
  largeTask: 'stdin',
  probeArgs: ['--version'],
  parser: () => new GeminiParser(),
};

class GeminiParser implements OutputParser {
  private buf = '';
  private overflow = false;

  line(text: string, stream: 'out' | 'err'): void {
    if (stream === 'err' || this.overflow) return;
    if (this.buf.length + text.length > MAX_JSON) {
      this.overflow = true;
      this.buf = '';
      return;
    }
    this.buf += `${text}\n`;
  }

  result(): AgentResult {
    const start = this.buf.indexOf('{');
    if (start < 0) return {};
    let doc: Record<string, unknown> | undefined;
    try {
      doc = obj(JSON.parse(this.buf.slice(start)));
    } catch {
      return {};
    }
    if (!doc) return {};
    let input = 0;
    let output = 0;
    let cached = 0;
    let saw = false;
    const models = obj(obj(doc.stats)?.models) ?? {};
    for (const m of Object.values(models)) {
      const t = obj(obj(m)?.tokens);
      if (!t) continue;
      saw = true;
      input += num(t.prompt) ?? 0;
      output += num(t.candidates) ?? 0;
      cached += num(t.cached) ?? 0;
    }
    const usage = saw ? compactUsage({ inputTokens: input, outputTokens: output, cacheReadTokens: cached }) : undefined;
    return {
      ...(typeof doc.response === 'string' ? { finalMessage: clip(doc.response) } : {}),
      ...(usage ? { usage } : {}),
    };
  }
}
