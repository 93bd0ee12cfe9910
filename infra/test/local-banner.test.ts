import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { connectCommands, shellQuote } from '../src/local/banner.js';

const run = promisify(execFile);

describe('connectCommands()', () => {
  it('the stdio line runs the checkout\'s built entry with node, names OUTPOST_HOME, and never npx', () => {
    const { stdio } = connectCommands({
      local: { mcpUrl: 'http://127.0.0.1:7400/mcp', apiKey: 'op_test_abc', tenantId: 'ten_1' },
      home: '/srv/outpost/.outpost',
      root: '/srv/outpost',
    });
    expect(stdio).toBe('claude mcp add outpost -e OUTPOST_API_KEY=op_test_abc -e OUTPOST_HOME=/srv/outpost/.outpost -- node /srv/outpost/services/mcp-edge/dist/stdio.js');
  });
});

describe('shellQuote()', () => {
  it.each(['/plain/path.js', 'OUTPOST_HOME=/a b/c', "it's", '$(touch pwned) `x` "q" \\n'])('a POSIX shell reads %j back as one word', async (word) => {
    const { stdout } = await run('sh', ['-c', `printf '%s|' ${shellQuote(word)}`]);
    expect(stdout).toBe(`${word}|`);
  });
});
