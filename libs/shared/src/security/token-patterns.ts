/**
 * Well-known credential formats, named. redact() removes them from what leaves a process; the edge
 * refuses a dispatch whose task carries one (as push protection does), since a task is stored with
 * its run and shown by get_run and list_runs.
 */

export type TokenKind = 'github' | 'aws' | 'anthropic' | 'openai' | 'xai' | 'google' | 'slack' | 'jwt' | 'private_key';

export interface TokenPattern {
  kind: TokenKind;
  /** What it is, for a message ("a GitHub token"). */
  label: string;
  /** Regular expression source, without the look-behind that keeps it from starting mid-word. */
  source: string;
  /** How many leading characters name the format without giving any of the secret away (`ghp_`). */
  prefixLength: number;
}

// Tokens must not start mid-word, so "task-..." is never taken for an "sk-..." key.
export const NOT_AFTER_ALNUM = '(?<![A-Za-z0-9])';

/** Order matters where formats overlap: `sk-ant-` before `sk-`. Private keys are matched apart (see redact.ts). */
export const TOKEN_PATTERNS: readonly TokenPattern[] = [
  { kind: 'github', label: 'a GitHub token', source: 'gh[pousr]_[A-Za-z0-9]{36,}', prefixLength: 4 },
  { kind: 'github', label: 'a GitHub fine-grained token', source: 'github_pat_[A-Za-z0-9_]{22,}', prefixLength: 11 },
  { kind: 'aws', label: 'an AWS access key id', source: '(?:AKIA|ASIA)[A-Z0-9]{16}', prefixLength: 4 },
  { kind: 'anthropic', label: 'an Anthropic key', source: 'sk-ant-[A-Za-z0-9_-]{20,}', prefixLength: 7 },
  { kind: 'openai', label: 'an OpenAI-style key', source: 'sk-[A-Za-z0-9_-]{20,}', prefixLength: 3 },
  { kind: 'xai', label: 'an xAI key', source: 'xai-[A-Za-z0-9_-]{20,}', prefixLength: 4 },
  { kind: 'google', label: 'a Google API key', source: 'AIza[0-9A-Za-z_-]{35}', prefixLength: 4 },
  { kind: 'slack', label: 'a Slack token', source: 'xox[abprs]-[A-Za-z0-9-]{10,}', prefixLength: 5 },
  { kind: 'jwt', label: 'a JSON Web Token', source: 'eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+', prefixLength: 3 },
];

const PRIVATE_KEY: TokenPattern = {
  kind: 'private_key',
  label: 'a private key',
  source: '-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----',
  prefixLength: 10,
};

export interface TokenFound {
  kind: TokenKind;
  label: string;
  /** Where it starts in the text (UTF-16 index). */
  index: number;
  /** Its first characters and `…`, safe to show (`sk-ant-…`). */
  shape: string;
  /** The matched text: never put it in a message or a log. */
  match: string;
}

const FINDERS = [...TOKEN_PATTERNS, PRIVATE_KEY].map((p) => ({ pattern: p, re: new RegExp(`${NOT_AFTER_ALNUM}(?:${p.source})`) }));

/** The first credential-shaped string in `text` (the earliest; on a tie the more specific format), or undefined. */
export function findTokenShapedSecret(text: string): TokenFound | undefined {
  let best: TokenFound | undefined;
  for (const { pattern, re } of FINDERS) {
    const m = re.exec(text);
    if (m === null || (best !== undefined && m.index >= best.index)) continue;
    best = { kind: pattern.kind, label: pattern.label, index: m.index, shape: `${m[0].slice(0, pattern.prefixLength)}…`, match: m[0] };
  }
  return best;
}
