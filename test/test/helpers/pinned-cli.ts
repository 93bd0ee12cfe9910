import path from 'node:path';
import { installAgentClis } from '@outpost/infra/local';
import { agentCacheDir, type AgentName } from '@outpost/shared';

/**
 * The binary of an agent CLI at the version the worker image pins (libs/shared/agent-clis.json),
 * installed into the project's cache on first use: the tests run the same CLI production does.
 */
export async function pinnedCli(agent: AgentName): Promise<string> {
  const [report] = await installAgentClis({ cacheDir: agentCacheDir(), agents: [agent] });
  if (!report?.bin) throw new Error(`no installable pinned CLI for ${agent}: ${report?.reason ?? 'not pinned'}`);
  if (report.result === 'installed') process.stderr.write(`installed ${report.package}@${report.version} in ${report.seconds?.toFixed(1)} s\n`);
  return report.bin;
}

/** Claude Code's environment in a test: a scratch HOME and config dir, no updater, telemetry or other traffic. */
export function scratchClaudeEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}
