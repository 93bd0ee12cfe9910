import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { agentBinPath, agentCliPins, installedAgentBins, type AgentCliPins } from '@outpost/shared';
import { agentBinsFromCache } from '../src/local/launcher.js';
import { AgentInstallError, installAgentClis } from '../src/local/agent-clis.js';

// A stand-in for npm (the registry's packages are ~950 MB): it records its argv and lays out
// node_modules/.bin/<bin> under --prefix the way npm does, or fails when told to.
const FAKE_NPM = `#!/bin/sh
prefix=""; prev=""
for a in "$@"; do [ "$prev" = "--prefix" ] && prefix="$a"; prev="$a"; done
echo "$@" >> "$OUTPOST_FAKE_NPM_LOG"
[ -n "$OUTPOST_FAKE_NPM_FAIL" ] && { echo "npm error 404 Not Found" >&2; exit 1; }
mkdir -p "$prefix/node_modules/.bin"
printf '#!/bin/sh\\necho fake\\n' > "$prefix/node_modules/.bin/$(basename "$prefix" | sed 's/-[0-9].*//')-cli"
chmod +x "$prefix/node_modules/.bin/"*
`;

const PINS: AgentCliPins = {
  claude: { source: 'npm', package: '@anthropic-ai/claude-code', version: '1.2.3', bin: 'claude-cli', installScripts: true },
  codex: { source: 'npm', package: '@openai/codex', version: '0.1.0', bin: 'codex-cli', installScripts: false },
  aider: { source: 'pip', package: 'aider-chat', version: '0.86.2', bin: 'aider', installScripts: false },
};

describe('installAgentClis()', () => {
  let dir: string;
  let npm: string;
  let log: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-agent-clis-'));
    npm = path.join(dir, 'npm');
    log = path.join(dir, 'npm.log');
    await writeFile(npm, FAKE_NPM);
    await chmod(npm, 0o755);
    process.env.OUTPOST_FAKE_NPM_LOG = log;
    delete process.env.OUTPOST_FAKE_NPM_FAIL;
  });
  afterEach(async () => {
    delete process.env.OUTPOST_FAKE_NPM_FAIL;
    await rm(dir, { recursive: true, force: true });
  });

  it('installs each npm pin into a directory of its version, runs install scripts only where the pin asks, and skips pip', async () => {
    const cacheDir = path.join(dir, 'cache');
    const reports = await installAgentClis({ cacheDir, pins: PINS, npm });
    expect(reports.map((r) => [r.agent, r.result])).toEqual([
      ['claude', 'installed'],
      ['codex', 'installed'],
      ['aider', 'skipped'],
    ]);
    expect(installedAgentBins(cacheDir, PINS)).toEqual({
      claude: agentBinPath(cacheDir, 'claude', PINS.claude!),
      codex: agentBinPath(cacheDir, 'codex', PINS.codex!),
    });
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls[0]).toContain('@anthropic-ai/claude-code@1.2.3');
    expect(calls[0]).not.toContain('--ignore-scripts');
    expect(calls[1]).toContain('@openai/codex@0.1.0');
    expect(calls[1]).toContain('--ignore-scripts');
    // A second call finds them and installs nothing.
    const again = await installAgentClis({ cacheDir, pins: PINS, npm });
    expect(again.map((r) => r.result)).toEqual(['present', 'present', 'skipped']);
  });

  it('a failed install names the agent and npm\'s words, and leaves nothing that looks installed', async () => {
    const cacheDir = path.join(dir, 'cache');
    process.env.OUTPOST_FAKE_NPM_FAIL = '1';
    const failed = installAgentClis({ cacheDir, pins: PINS, agents: ['codex'], npm });
    await expect(failed).rejects.toThrow(AgentInstallError);
    await expect(failed).rejects.toThrow(/codex[\s\S]*404 Not Found/);
    expect(installedAgentBins(cacheDir, PINS)).toEqual({});
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('the launcher hands workers the cached CLIs, and a variable already set wins', async () => {
    const cacheDir = path.join(dir, 'cache');
    const pins = agentCliPins();
    await installAgentClis({ cacheDir, pins: { codex: { ...pins.codex!, bin: 'codex-cli' } }, npm });
    // The real pin's bin name is `codex`; the fake wrote `codex-cli`, so nothing is found under the real pins.
    expect(agentBinsFromCache({ OUTPOST_AGENT_CACHE: cacheDir })).toEqual({});
    const installed = path.join(cacheDir, `codex-${pins.codex!.version}`, 'node_modules', '.bin', 'codex');
    await writeFile(installed, '#!/bin/sh\n');
    expect(agentBinsFromCache({ OUTPOST_AGENT_CACHE: cacheDir })).toEqual({ OUTPOST_AGENT_CODEX_BIN: installed });
    expect(agentBinsFromCache({ OUTPOST_AGENT_CACHE: cacheDir, OUTPOST_AGENT_CODEX_BIN: '/opt/codex' })).toEqual({});
  });
});
