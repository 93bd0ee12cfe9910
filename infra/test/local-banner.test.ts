import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { bannerLines, connectCommands, maskApiKey, shellQuote } from '../src/local/banner.js';

const run = promisify(execFile);
const KEY = 'op_test_abcdEFGHijklMNOPqrstUVWX';
const local = (keyCreated: boolean) => ({ mcpUrl: 'http://127.0.0.1:7400/mcp', apiKey: KEY, tenantId: 'ten_1', created: false, keyCreated });

describe('connectCommands()', () => {
  it("the stdio line runs the checkout's built entry with node, names OUTPOST_HOME, and never npx", () => {
    const { stdio } = connectCommands({ local: local(true), home: '/srv/outpost/.outpost', root: '/srv/outpost' });
    expect(stdio).toBe(`claude mcp add outpost -e "OUTPOST_API_KEY=${KEY}" -e OUTPOST_HOME=/srv/outpost/.outpost -- node /srv/outpost/packages/outpost-mcp/dist/main.js`);
  });

  it('a key from an earlier start is not in the lines; a shell reads it from local.json (even under an odd path)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'outpost-banner-'));
    try {
      const home = path.join(dir, `it's a "home" $(x)`, '.outpost');
      await mkdir(home, { recursive: true });
      await writeFile(path.join(home, 'local.json'), JSON.stringify(local(false)));
      const { http, stdio } = connectCommands({ local: local(false), home, root: '/srv/outpost' });
      for (const line of [http, stdio]) {
        expect(line).not.toContain(KEY);
        // Print the words a shell would pass to claude.
        const { stdout } = await run('sh', ['-c', `printf '%s\\n' ${line.slice('claude '.length)}`], { cwd: dir });
        expect(stdout.split('\n')).toEqual(expect.arrayContaining([line === http ? `Authorization: Bearer ${KEY}` : `OUTPOST_API_KEY=${KEY}`]));
        if (line === stdio) expect(stdout.split('\n')).toContain(`OUTPOST_HOME=${home}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bannerLines()', () => {
  const banner = (keyCreated: boolean) =>
    bannerLines({ local: local(keyCreated), home: '/h/.outpost', root: '/r', skipped: [], agentsFromCache: [], services: ['mcp-edge'] }).join('\n');

  it('prints the full key on the start that made it', () => {
    expect(banner(true)).toContain(`API key:   ${KEY}`);
  });

  it('prints the dashboard URL next to the MCP URL', () => {
    expect(banner(false)).toMatch(/ {2}MCP URL: {3}http:\/\/127\.0\.0\.1:7400\/mcp\n {2}Dashboard: http:\/\/127\.0\.0\.1:7400\/ {2}\(sign in with the API key\)/);
  });

  it('offers an OAuth line with no key in it, before the bearer-key line', () => {
    const lines = banner(true).split('\n');
    const oauth = lines.indexOf('  claude mcp add --transport http outpost http://127.0.0.1:7400/mcp');
    expect(oauth).toBeGreaterThan(0);
    expect(lines.findIndex((l) => l.includes('--header "Authorization: Bearer'))).toBeGreaterThan(oauth);
  });

  it('afterwards only the masked key and the file that holds it', () => {
    expect(banner(false)).not.toContain(KEY);
    expect(banner(false)).toContain(`API key:   ${maskApiKey(KEY)}`);
    expect(maskApiKey(KEY)).toBe('op_test_abcd…');
    expect(banner(false)).toContain('/h/.outpost/local.json');
  });
});

describe('shellQuote()', () => {
  it.each(['/plain/path.js', 'OUTPOST_HOME=/a b/c', "it's", '$(touch pwned) `x` "q" \\n'])('a POSIX shell reads %j back as one word', async (word) => {
    const { stdout } = await run('sh', ['-c', `printf '%s|' ${shellQuote(word)}`]);
    expect(stdout).toBe(`${word}|`);
  });
});
