import { describe, it, expect } from '@jest/globals';
import { REDACTED, redact, StreamRedactor } from '../src/security/redact.js';
import { findTokenShapedSecret } from '../src/security/token-patterns.js';

// Fake credentials are assembled at runtime so secret scanners don't flag this file.
const alnum = (n: number): string => 'aB3xY9kQ7z'.repeat(Math.ceil(n / 10)).slice(0, n);
const pem = (label: string): string =>
  [
    `-----BEGIN ${label}PRIVATE KEY-----`,
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7' + alnum(12),
    'q1w2e3r4t5y6u7i8o9p0ASDFGHJKLzxcvbnm/+==',
    `-----END ${label}PRIVATE KEY-----`,
  ].join('\n');
const pemBodyLine = 'q1w2e3r4t5y6u7i8o9p0ASDFGHJKLzxcvbnm/+==';

const TOKENS: Array<[string, string]> = [
  ['GitHub ghp_', 'ghp_' + alnum(36)],
  ['GitHub gho_', 'gho_' + alnum(40)],
  ['GitHub ghu_', 'ghu_' + alnum(36)],
  ['GitHub ghs_', 'ghs_' + alnum(36)],
  ['GitHub ghr_', 'ghr_' + alnum(36)],
  ['GitHub fine-grained PAT', 'github_pat_' + alnum(22) + '_' + alnum(59)],
  ['AWS AKIA key id', 'AKIA' + 'IOSFODNN7EXAMPLE'],
  ['AWS ASIA key id', 'ASIA' + 'Q3EGXYZ12ABCDEF7'],
  ['Anthropic', 'sk-ant-api03-' + alnum(80) + '-' + alnum(10) + 'AA'],
  ['OpenAI project key', 'sk-proj-' + alnum(40) + '_' + alnum(20)],
  ['OpenAI legacy key', 'sk-' + alnum(48)],
  ['xAI', 'xai-' + alnum(80)],
  ['Google API key', 'AIza' + 'SyD-' + alnum(27) + '_abc'],
  ['Slack bot token', 'xoxb-' + '1234567890-1234567890123-' + alnum(24)],
  ['Slack user token', 'xoxp-' + '1234567890-' + alnum(16)],
  ['JWT', 'eyJ' + 'hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.' + 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'],
  ['PEM RSA', pem('RSA ')],
  ['PEM EC', pem('EC ')],
  ['PEM OPENSSH', pem('OPENSSH ')],
  ['PEM plain (PKCS#8)', pem('')],
  ['PEM encrypted', pem('ENCRYPTED ')],
];

const SECRET = 'hunter2.*(pass)[word]';

/** Each stream case: text, secrets, and substrings that must never appear in output. */
const STREAM_CASES: Array<[string, string, string[], string[]]> = [
  ...TOKENS.map(([name, token]): [string, string, string[], string[]] => [
    name,
    `log: ${token} done`,
    [],
    [token.includes('PRIVATE KEY') ? pemBodyLine : token],
  ]),
  ['token at end of stream', `key=${'sk-' + alnum(30)}`, [], ['sk-' + alnum(30)]],
  ['exact secret', `password is ${SECRET}!`, [SECRET], [SECRET]],
  ['exact secret with spaces', 'x = my secret phrase here;', ['my secret phrase'], ['my secret phrase']],
  ['overlapping secrets', 'aaabcdefghijkl', ['abcdefghij', 'defghijkl'], ['abcdefghij', 'defghijkl']],
  ['secret inside a token', `t=ghp_${alnum(36)} `, [alnum(20)], [alnum(20)]],
  ['two tokens back to back', `xai-${alnum(25)} ghs_${alnum(36)}\n`, [], [`xai-${alnum(25)}`, `ghs_${alnum(36)}`]],
  ['unterminated PEM', `x ${pem('RSA ').split('\n').slice(0, 3).join('\n')}`, [], [pemBodyLine]],
  // A long secret makes the stream cut mid-word: "ta|sk-..." must still not look like a key.
  [
    'sk- inside a word, cut by the secret hold',
    `${'lorem ipsum '.repeat(5)}task-${alnum(25)} and some more words after it`,
    ['an-unrelated-secret-value-of-some-length'],
    [],
  ],
  ['emoji around a secret', `🔑${SECRET}🔑 ok`, [SECRET], [SECRET]],
];

function streamAll(chunks: readonly string[], secrets: readonly string[], maxHoldBytes?: number): string {
  const r = new StreamRedactor({ secrets, ...(maxHoldBytes === undefined ? {} : { maxHoldBytes }) });
  return chunks.map((c) => r.push(c)).join('') + r.flush();
}

describe('redact', () => {
  it.each(TOKENS)('redacts %s', (_name, token) => {
    expect(redact(`before ${token} after`)).toBe(`before ${REDACTED} after`);
    expect(redact(token)).toBe(REDACTED);
  });

  it.each([
    ['short sk- strings', 'sk-1 and sk-abc'],
    ['a git sha', 'commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'],
    ['sk- inside a word', 'task-' + 'abcdefghijklmnopqrstuvwxyz-more'],
    ['ordinary prose', 'The quick brown fox jumps over the lazy dog.'],
    ['short token prefixes', 'ghp_abc AKIA1234 xoxb- eyJ AIza'],
    ['a certificate (not a private key)', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
    ['a uuid', '123e4567-e89b-12d3-a456-426614174000'],
  ])('leaves %s alone', (_name, text) => {
    expect(redact(text)).toBe(text);
  });

  it('redacts a whole PEM block across lines, keeping the text around it', () => {
    expect(redact(`key:\n${pem('RSA ')}\nnext line`)).toBe(`key:\n${REDACTED}\nnext line`);
    expect(redact(`${pem('EC ')}\r\n${pem('OPENSSH ')}`)).toBe(`${REDACTED}\r\n${REDACTED}`);
  });

  it('redacts an unterminated private key to the end of the text (fail closed)', () => {
    expect(redact(`a ${pem('').slice(0, 60)}`)).toBe(`a ${REDACTED}`);
  });

  it('redacts exact secrets, escaping regex metacharacters', () => {
    expect(redact(`pw=${SECRET}; again ${SECRET}`, [SECRET])).toBe(`pw=${REDACTED}; again ${REDACTED}`);
    expect(redact('hunter2xxpass', [SECRET])).toBe('hunter2xxpass');
  });

  it('prefers the longest secret and ignores values shorter than 6 chars', () => {
    expect(redact('id=abcdefghij', ['abcdef', 'abcdefghij'])).toBe(`id=${REDACTED}`);
    expect(redact('a b c abcde', ['a', 'abcde', ''])).toBe('a b c abcde');
  });
});

describe('StreamRedactor', () => {
  it.each(STREAM_CASES)('%s: split at every index into two pushes', (_name, text, secrets, forbidden) => {
    const expected = redact(text, secrets);
    for (const bad of forbidden) expect(expected).not.toContain(bad);
    for (let i = 0; i <= text.length; i++) {
      const out = streamAll([text.slice(0, i), text.slice(i)], secrets);
      if (out !== expected) throw new Error(`split at ${i}: ${JSON.stringify(out)} !== ${JSON.stringify(expected)}`);
    }
  });

  it.each(STREAM_CASES)('%s: one char at a time', (_name, text, secrets, forbidden) => {
    const out = streamAll([...text], secrets);
    expect(out).toBe(redact(text, secrets));
    for (const bad of forbidden) expect(out).not.toContain(bad);
  });

  it('matches redact() for random chunkings of a text with every kind of secret', () => {
    const text = STREAM_CASES.map(([, t]) => t).join('\n');
    const secrets = STREAM_CASES.flatMap(([, , s]) => s);
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 50; round++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; ) {
        const n = 1 + rand(40);
        chunks.push(text.slice(i, i + n));
        i += n;
      }
      expect(streamAll(chunks, secrets)).toBe(redact(text, secrets));
    }
  });

  it('passes text without secrets through unchanged, emitting all but a bounded tail promptly', () => {
    const plain = new StreamRedactor();
    expect(plain.push('hello world\nsecond line\n')).toBe('hello world\nsecond line\n');
    expect(plain.push('a partial wor')).toBe('a partial '); // only the word that could still become a token
    expect(plain.push('d and more ') + plain.flush()).toBe('word and more ');

    // With exact secrets, at most (longest secret - 1) chars are held back as well.
    const secret = 'not-in-the-text';
    const r = new StreamRedactor({ secrets: [secret] });
    const text = 'hello world\nsecond line\n';
    const out = r.push(text);
    expect(out).toBe(text.slice(0, text.length - (secret.length - 1)));
    expect(out + r.flush()).toBe(text);
  });

  it('flush() with nothing held returns an empty string', () => {
    const r = new StreamRedactor();
    expect(r.flush()).toBe('');
    expect(r.push('done\n')).toBe('done\n');
    expect(r.flush()).toBe('');
  });

  it('keeps held-back text within maxHoldBytes + longest secret', () => {
    const secret = 'Z'.repeat(50);
    const r = new StreamRedactor({ secrets: [secret], maxHoldBytes: 1000 });
    const chunk = 'A'.repeat(333); // one endless token-like run: nothing is a natural cut point
    let pushed = 0;
    let emitted = 0;
    for (let i = 0; i < 300; i++) {
      pushed += chunk.length;
      emitted += r.push(chunk).length;
      expect(pushed - emitted).toBeLessThanOrEqual(1000 + secret.length);
    }
    expect(emitted + r.flush().length).toBe(pushed);
  });

  it('redacts a private key that outgrows maxHoldBytes and drops it up to its END line', () => {
    const body = Array.from({ length: 200 }, () => pemBodyLine).join('\n');
    const text = `pre\n-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\npost\n`;
    const r = new StreamRedactor({ maxHoldBytes: 512 });
    let out = '';
    for (let i = 0; i < text.length; i += 64) {
      out += r.push(text.slice(i, i + 64));
      // Once over budget REDACTED is emitted and the body is dropped, not held.
      if (i >= 1024 && i + 64 < text.indexOf('-----END')) expect(out).toBe(`pre\n${REDACTED}`);
    }
    out += r.flush();
    expect(out).toBe(`pre\n${REDACTED}\npost\n`);
    expect(out).toBe(redact(text));
  });

  it('never ends an emitted chunk in the middle of a surrogate pair', () => {
    // A 6-char secret holds back 5 UTF-16 units, which would otherwise cut an emoji in half.
    const r = new StreamRedactor({ secrets: ['abcdef'] });
    let out = '';
    for (const chunk of ['x' + '🔑'.repeat(10), '🔑'.repeat(7), 'x🔑y']) {
      const emitted = r.push(chunk);
      expect(emitted).not.toMatch(/[\uD800-\uDBFF]$/);
      out += emitted;
    }
    expect(out + r.flush()).toBe('x' + '🔑'.repeat(17) + 'x🔑y');
  });

  it('rejects a non-positive maxHoldBytes', () => {
    expect(() => new StreamRedactor({ maxHoldBytes: 0 })).toThrow(RangeError);
  });
});

describe('findTokenShapedSecret()', () => {
  // The edge refuses a task with any of these; it must see every format redact() removes.
  it.each(TOKENS)('finds %s, and shows only its prefix', (_name, token) => {
    const text = `please use ${token} for the deploy`;
    const found = findTokenShapedSecret(text);
    expect(found?.index).toBe(text.indexOf(token.slice(0, 5)));
    expect(found?.shape.endsWith('…')).toBe(true);
    expect(token.startsWith(found!.shape.slice(0, -1))).toBe(true);
    expect(found!.shape.length).toBeLessThanOrEqual(12);
  });

  it.each([
    ['GitHub', `ghp_${alnum(36)}`, 'github', 'ghp_…'],
    ['Anthropic before OpenAI', `sk-ant-api03-${alnum(40)}`, 'anthropic', 'sk-ant-…'],
    ['OpenAI', `sk-proj-${alnum(40)}`, 'openai', 'sk-…'],
    ['AWS', `AKIA${'IOSFODNN7EXAMPLE'}`, 'aws', 'AKIA…'],
    ['private key', pem('RSA '), 'private_key', '-----BEGIN…'],
  ])('names the format of a %s token', (_name, token, kind, shape) => {
    expect(findTokenShapedSecret(`x ${token}`)).toMatchObject({ kind, shape, index: 2 });
  });

  it('reports the first of several', () => {
    expect(findTokenShapedSecret(`a xai-${alnum(30)} b ghp_${alnum(36)}`)?.kind).toBe('xai');
  });

  it.each([
    ['ordinary prose', 'fix the flaky test in src/app.ts and add a changelog entry'],
    ['sk- inside a word', `rename task-${alnum(25)} to job`],
    ['a short sk- word', 'the sk-learn dependency'],
    ['a placeholder', 'set ANTHROPIC_API_KEY=sk-ant-... in .env.example'],
  ])('finds nothing in %s', (_name, text) => {
    expect(findTokenShapedSecret(text)).toBeUndefined();
  });
});
