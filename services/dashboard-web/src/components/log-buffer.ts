/**
 * Lines of a live log, held in memory up to a cap. Chunks arrive at any size and split lines
 * anywhere; the buffer keeps the partial last line apart and drops the oldest lines past the cap
 * (the full log stays one download away), so 1 MB/s of output cannot grow the tab without bound.
 */
export class LogBuffer {
  /** Complete lines, oldest first (after any dropped). */
  readonly lines: string[] = [];
  /** Lines dropped from the front to respect the cap. */
  dropped = 0;
  /** Byte offset (in characters of text received) of everything appended so far. */
  offset = 0;
  private partial = '';
  private chars = 0;

  constructor(private readonly maxChars = 8 * 1024 * 1024) {}

  append(text: string): void {
    this.offset += text.length;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      this.chars += line.length + 1;
    }
    if (this.chars > this.maxChars) {
      let drop = 0;
      while (this.chars > this.maxChars * 0.8 && drop < this.lines.length) {
        this.chars -= (this.lines[drop]?.length ?? 0) + 1;
        drop++;
      }
      this.lines.splice(0, drop);
      this.dropped += drop;
    }
  }

  /** The line still being written (no newline yet). */
  get tail(): string {
    return this.partial;
  }

  /** Every line including the partial one; what the view renders. */
  get count(): number {
    return this.lines.length + (this.partial ? 1 : 0);
  }

  line(i: number): string {
    return i < this.lines.length ? (this.lines[i] ?? '') : this.partial;
  }
}
