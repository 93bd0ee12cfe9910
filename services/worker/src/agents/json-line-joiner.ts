import { MAX_LINE } from '../line-splitter.js';

/** A JSON line longer than the worker's line limit arrives cut into pieces; this much is joined again. */
const MAX_JOINED = 1024 * 1024;

/**
 * Joins the pieces of a JSON line that the worker's line splitter cut at MAX_LINE (a long answer
 * or command output), so a parser sees whole events. Past MAX_JOINED the line is given up (the
 * log still has it).
 */
export class JsonLineJoiner {
  private pending: string | undefined;

  /** The whole line, or undefined while one is still arriving. */
  push(text: string): string | undefined {
    if (this.pending !== undefined) {
      this.pending = this.pending.length + text.length <= MAX_JOINED ? this.pending + text : '';
      if (text.length >= MAX_LINE) return undefined;
      const whole = this.pending;
      this.pending = undefined;
      return whole;
    }
    if (text.length >= MAX_LINE && text.startsWith('{')) {
      this.pending = text;
      return undefined;
    }
    return text;
  }
}
