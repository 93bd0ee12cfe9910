#!/usr/bin/env node
// `npm run agents -- install [agent…]` and `npm run agents -- list`: the pinned agent CLIs in the
// project's cache, where `npm start`'s workers and the agent test suite find them.
import { agentCacheDir, agentCliPins, AgentName, createLogger, installedAgentBins } from '@outpost/shared';
import { describeInstall, installAgentClis } from './local/agent-clis.js';

const USAGE = 'usage: npm run agents -- install [claude|codex|gemini|grok …]\n       npm run agents -- list';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const cacheDir = agentCacheDir();
  if (command === 'list') {
    const installed = installedAgentBins(cacheDir);
    process.stdout.write(`cache: ${cacheDir}\n`);
    for (const [name, pin] of Object.entries(agentCliPins())) {
      const bin = installed[name as AgentName];
      process.stdout.write(`${name.padEnd(7)} ${pin.package}@${pin.version}  ${bin ? `installed → ${bin}` : pin.source === 'npm' ? 'not installed' : `${pin.source}: worker image only`}\n`);
    }
    return 0;
  }
  if (command !== 'install') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const agents: AgentName[] = [];
  for (const a of rest) {
    const parsed = AgentName.safeParse(a);
    if (!parsed.success) {
      process.stderr.write(`unknown agent ${JSON.stringify(a)}\n${USAGE}\n`);
      return 2;
    }
    agents.push(parsed.data);
  }
  process.stdout.write(`installing into ${cacheDir} (OUTPOST_AGENT_CACHE to change)\n`);
  const reports = await installAgentClis({ cacheDir, ...(agents.length ? { agents } : {}), logger: createLogger({ service: 'agents', level: 'warn' }) });
  for (const r of reports) process.stdout.write(`${describeInstall(r)}\n`);
  process.stdout.write('npm start finds installed agents on its next start.\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
