import { assertNever, type Usage } from '@outpost/shared';
import { num, obj } from '../agents/types.js';

/** The wire formats whose usage the gateway reads. */
export type WireFormat = 'anthropic-messages' | 'openai-responses' | 'openai-chat' | 'gemini' | 'other';

/** Which format a request to `path` (after the provider prefix) answers in. */
export function wireFormatOf(path: string): WireFormat {
  const p = path.split('?')[0] ?? '';
  if (/\/messages$/.test(p)) return 'anthropic-messages';
  if (/\/responses$/.test(p)) return 'openai-responses';
  if (/\/chat\/completions$/.test(p)) return 'openai-chat';
  if (/:(stream)?[gG]enerateContent$/.test(p)) return 'gemini';
  return 'other';
}

/** Largest SSE line or JSON body read for usage; what is larger passes through unread. */
const MAX_READ = 4 * 1024 * 1024;

/**
 * Reads the usage a provider reports in one answer, JSON or SSE, as the bytes pass through.
 * Token counts are normalised: input excludes cached input, output includes reasoning.
 */
export class UsageMeter {
  private usage: Required<Omit<Usage, 'costUsd'>> = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  private saw = false;
  private model: string | undefined;
  private buf = '';
  private overflow = false;
  private readonly sse: boolean;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly format: WireFormat,
    contentType: string,
    requestModel: string | undefined,
  ) {
    this.sse = contentType.includes('text/event-stream');
    this.model = requestModel;
  }

  push(chunk: Uint8Array): void {
    if (this.format === 'other') return;
    const text = this.decoder.decode(chunk, { stream: true });
    if (!this.sse) {
      if (this.overflow || this.buf.length + text.length > MAX_READ) {
        this.overflow = true;
        this.buf = '';
      } else this.buf += text;
      return;
    }
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (line.startsWith('data:')) this.event(line.slice(5).trim());
    }
    if (this.buf.length > MAX_READ) this.buf = '';
  }

  /** The usage read (undefined when the answer reported none) and the model it names. */
  end(): { usage: Usage | undefined; model: string | undefined } {
    if (!this.sse && !this.overflow && this.buf) this.event(this.buf);
    return { usage: this.saw ? { ...this.usage } : undefined, model: this.model };
  }

  private event(data: string): void {
    // Only events that carry usage are parsed: text deltas can be megabytes of answer.
    if (!data.startsWith('{') || !data.includes('sage')) return;
    let v: unknown;
    try {
      v = JSON.parse(data);
    } catch {
      return;
    }
    const ev = obj(v);
    if (!ev) return;
    switch (this.format) {
      case 'anthropic-messages':
        return this.anthropic(ev);
      case 'openai-responses':
        return this.openaiResponses(ev);
      case 'openai-chat':
        return this.openaiChat(ev);
      case 'gemini':
        return this.gemini(ev);
      case 'other':
        return;
      default:
        return assertNever(this.format);
    }
  }

  // message_start carries input and cache counts; message_delta the cumulative output. Plain JSON: `usage`.
  private anthropic(ev: Record<string, unknown>): void {
    const message = obj(ev.message);
    if (typeof message?.model === 'string') this.model = message.model;
    if (typeof ev.model === 'string') this.model = ev.model;
    const u = obj(ev.usage) ?? obj(message?.usage);
    if (!u) return;
    this.saw = true;
    this.max('inputTokens', num(u.input_tokens));
    this.max('cacheReadTokens', num(u.cache_read_input_tokens));
    this.max('cacheWriteTokens', num(u.cache_creation_input_tokens));
    this.max('outputTokens', num(u.output_tokens));
  }

  // The final `response.completed` (SSE) or the response object (JSON) has `usage`.
  private openaiResponses(ev: Record<string, unknown>): void {
    const response = obj(ev.response) ?? (ev.object === 'response' ? ev : undefined);
    if (typeof response?.model === 'string') this.model = response.model;
    const u = obj(response?.usage);
    if (!u) return;
    this.saw = true;
    const details = obj(u.input_tokens_details);
    const cached = num(details?.cached_tokens) ?? 0;
    const written = num(details?.cache_write_tokens) ?? 0;
    this.usage.inputTokens = Math.max(0, (num(u.input_tokens) ?? 0) - cached - written);
    this.usage.cacheReadTokens = cached;
    this.usage.cacheWriteTokens = written;
    this.usage.outputTokens = num(u.output_tokens) ?? 0;
  }

  // JSON: `usage`; SSE: the last chunk when the client asked for stream_options.include_usage.
  private openaiChat(ev: Record<string, unknown>): void {
    if (typeof ev.model === 'string') this.model = ev.model;
    const u = obj(ev.usage);
    if (!u) return;
    this.saw = true;
    const cached = num(obj(u.prompt_tokens_details)?.cached_tokens) ?? 0;
    this.usage.inputTokens = Math.max(0, (num(u.prompt_tokens) ?? 0) - cached);
    this.usage.cacheReadTokens = cached;
    this.usage.outputTokens = num(u.completion_tokens) ?? 0;
  }

  // Every chunk carries the cumulative usageMetadata; the last one counts.
  private gemini(ev: Record<string, unknown>): void {
    if (typeof ev.modelVersion === 'string') this.model = ev.modelVersion;
    const u = obj(ev.usageMetadata);
    if (!u) return;
    this.saw = true;
    const cached = num(u.cachedContentTokenCount) ?? 0;
    this.usage.inputTokens = Math.max(0, (num(u.promptTokenCount) ?? 0) - cached);
    this.usage.cacheReadTokens = cached;
    this.usage.outputTokens = (num(u.candidatesTokenCount) ?? 0) + (num(u.thoughtsTokenCount) ?? 0);
  }

  private max(k: keyof UsageMeter['usage'], v: number | undefined): void {
    if (v !== undefined) this.usage[k] = Math.max(this.usage[k], v);
  }
}
