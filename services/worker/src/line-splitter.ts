/** Longest line kept whole; longer lines are cut into pieces so memory stays bounded. */
export const MAX_LINE = 64 * 1024;

/** Splits a byte stream into lines (without the newline); a partial last line waits for more input. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly max = MAX_LINE) {}

  /** Lines completed by `chunk`. */
  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    while (this.partial.length > this.max) {
      lines.push(this.partial.slice(0, this.max));
      this.partial = this.partial.slice(this.max);
    }
    const out: string[] = [];
    for (const l of lines) {
      if (l.length <= this.max) out.push(l.endsWith('\r') ? l.slice(0, -1) : l);
      else for (let i = 0; i < l.length; i += this.max) out.push(l.slice(i, i + this.max));
    }
    return out;
  }

  /** The unterminated last line, if any. */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [rest] : [];
  }
}
