/**
 * Removes secrets from text before it leaves the process (agent stdout/stderr, patches, error
 * messages): well-known token formats, PEM private keys, and exact secret values we were given.
 * Redaction fails closed: overlapping matches are merged, and an unterminated private key is
 * redacted up to the end of the text.
 */

import { NOT_AFTER_ALNUM, TOKEN_PATTERNS } from './token-patterns.js';

export const REDACTED = '[REDACTED]';

/** Shorter values would redact ordinary words (and every 'a'). */
const MIN_SECRET_LENGTH = 6;
const DEFAULT_MAX_HOLD = 16_384;

// Labels are bounded so PEM_PARTIAL (below) can recognise every prefix of a header.
const PEM =
  '-----BEGIN (?<label>(?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY-----[\\s\\S]*?' +
  '(?:(?<end>-----END \\k<label>PRIVATE KEY-----)|$)';
const TOKEN_RE = `${PEM}|${NOT_AFTER_ALNUM}(?:${TOKEN_PATTERNS.map((p) => p.source).join('|')})`;
/** The start of a private key header cut off at the end of the buffer. */
const PEM_PARTIAL = /-----BEGIN [A-Z0-9 ]{0,80}-{0,5}$/;
const PEM_PARTIAL_WINDOW = 100;

interface Range {
  start: number;
  end: number;
  /** Set when the range is a private key whose END line has not been seen (yet). */
  openPemLabel?: string | undefined;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function usableSecrets(secrets: readonly string[] = []): string[] {
  // Longest first so a secret that contains another is matched whole.
  return [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

function buildRegexes(secrets: readonly string[]): RegExp[] {
  const regexes = [new RegExp(TOKEN_RE, 'g')];
  // Secrets get their own scan so a token match can never hide part of a secret (and vice versa).
  if (secrets.length > 0) regexes.push(new RegExp(secrets.map(escapeRegExp).join('|'), 'g'));
  return regexes;
}

/** All matches in `text` from `from` on, sorted, with overlapping ones merged. */
function findRanges(text: string, from: number, regexes: readonly RegExp[]): Range[] {
  const found: Range[] = [];
  for (const re of regexes) {
    re.lastIndex = from;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const label = m.groups?.['label'];
      const open = label !== undefined && m.groups?.['end'] === undefined;
      found.push({ start: m.index, end: m.index + m[0].length, openPemLabel: open ? label : undefined });
    }
  }
  found.sort((a, b) => a.start - b.start);
  const merged: Range[] = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.start < last.end) {
      last.end = Math.max(last.end, r.end);
      last.openPemLabel ??= r.openPemLabel;
    } else {
      merged.push({ ...r });
    }
  }
  return merged;
}

/** `text[from, to)` with every range that ends by `to` replaced by REDACTED. */
function render(text: string, from: number, to: number, ranges: readonly Range[]): string {
  let out = '';
  let pos = from;
  for (const r of ranges) {
    if (r.end > to) break;
    out += text.slice(pos, r.start) + REDACTED;
    pos = r.end;
  }
  return out + text.slice(pos, to);
}

/** Every character any token pattern can contain: a token reaching the buffer end lies in the trailing run of these. */
function isTokenChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ||
    code === 95 /* _ */ || code === 45 /* - */ || code === 46 /* . */
  );
}

/** Redacts known token patterns and every exact secret value in `secrets` (values shorter than 6 chars are ignored, to avoid redacting every 'a'). */
export function redact(text: string, secrets?: readonly string[]): string {
  return render(text, 0, text.length, findRanges(text, 0, buildRegexes(usableSecrets(secrets))));
}

/** Streaming variant: a secret or token split across two (or more) pushes is still redacted. */
export class StreamRedactor {
  readonly #regexes: RegExp[];
  /** Longest secret - 1: a secret starting before this many chars from the end is fully visible. */
  readonly #secretHold: number;
  readonly #maxHold: number;
  /** The last raw char already emitted, so the tokens' look-behind sees what whole-text redact() sees. */
  #ctx = '';
  #held = '';
  /** END line of a private key that outgrew maxHoldBytes: REDACTED was emitted, the rest is dropped until this line. */
  #pemEnd: string | undefined;

  /** `maxHoldBytes` is measured in UTF-16 code units (string length). */
  constructor(options: { secrets?: readonly string[]; maxHoldBytes?: number /* @default 16384 */ } = {}) {
    const secrets = usableSecrets(options.secrets);
    const maxHold = options.maxHoldBytes ?? DEFAULT_MAX_HOLD;
    if (!Number.isInteger(maxHold) || maxHold < 1) {
      throw new RangeError(`maxHoldBytes must be a positive integer, got ${maxHold}`);
    }
    this.#regexes = buildRegexes(secrets);
    this.#secretHold = Math.max(0, (secrets[0]?.length ?? 0) - 1);
    this.#maxHold = maxHold;
  }

  /** Returns the text that is safe to emit now; holds back a tail that could be the start of a secret. */
  push(chunk: string): string {
    let text = this.#held + chunk;
    if (this.#pemEnd !== undefined) {
      const i = text.indexOf(this.#pemEnd);
      if (i < 0) {
        // Keep only enough to spot an END line split across pushes.
        this.#held = text.slice(-(this.#pemEnd.length - 1));
        return '';
      }
      text = text.slice(i + this.#pemEnd.length);
      this.#ctx = '-';
      this.#pemEnd = undefined;
    }
    const s = this.#ctx + text;
    const from = this.#ctx.length;
    const end = s.length;
    const ranges = findRanges(s, from, this.#regexes);

    // Cut where no match of the whole stream can straddle: before anything that may still grow.
    let cut = Math.max(from, end - this.#secretHold);
    let run = end;
    while (run > from && isTokenChar(s.charCodeAt(run - 1))) run--;
    cut = Math.min(cut, run);
    const windowStart = Math.max(from, end - PEM_PARTIAL_WINDOW);
    const partial = PEM_PARTIAL.exec(s.slice(windowStart));
    if (partial !== null) cut = Math.min(cut, windowStart + partial.index);
    for (const r of ranges) if (r.openPemLabel !== undefined) cut = Math.min(cut, r.start);
    // Never split a surrogate pair between two emitted chunks.
    const code = s.charCodeAt(cut - 1);
    if (cut > from && code >= 0xd800 && code <= 0xdbff) cut--;
    let straddling = ranges.find((r) => r.start < cut && cut < r.end);
    if (straddling !== undefined) cut = straddling.start;

    if (end - cut > this.#maxHold) {
      // Over budget: emit all but maxHoldBytes (still never splitting a secret), redacting whatever straddles the cut.
      cut = Math.max(cut, Math.min(end - this.#maxHold, end - this.#secretHold));
      straddling = ranges.find((r) => r.start < cut && cut < r.end);
      if (straddling !== undefined) {
        cut = straddling.end;
        if (straddling.openPemLabel !== undefined) this.#pemEnd = `-----END ${straddling.openPemLabel}PRIVATE KEY-----`;
      }
    }

    this.#held = s.slice(cut);
    this.#ctx = s.slice(Math.max(0, cut - 1), cut);
    return render(s, from, cut, ranges);
  }

  /** Returns everything still held back, redacted. Call once at end of stream. */
  flush(): string {
    let out = '';
    if (this.#pemEnd === undefined) {
      const s = this.#ctx + this.#held;
      out = render(s, this.#ctx.length, s.length, findRanges(s, this.#ctx.length, this.#regexes));
    }
    this.#ctx = '';
    this.#held = '';
    this.#pemEnd = undefined;
    return out;
  }
}
