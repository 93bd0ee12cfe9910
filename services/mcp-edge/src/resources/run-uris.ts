import type { ResourceLink } from '@modelcontextprotocol/sdk/types.js';

/** What each run resource holds; the URI is `outpost://runs/{runId}` plus the suffix. */
export const RUN_RESOURCES = {
  run: { suffix: '', mimeType: 'application/json', title: 'Run', description: 'The run as get_run shows it (status, attempt, error, summary, spend, parent).' },
  log: {
    suffix: '/log',
    mimeType: 'text/plain',
    title: 'Run log',
    description: "The last 1,000 lines of the run's log, at most 256 KiB (the newest kept); the whole log is the log.txt artifact of get_run.",
  },
  patch: {
    suffix: '/patch',
    mimeType: 'text/x-diff',
    title: 'Run patch',
    description: "The run's changes as a unified diff (patch.diff), once it has finished; at most 1 MiB (the first part; _meta.truncated says so).",
  },
  summary: {
    suffix: '/summary',
    mimeType: 'application/json',
    title: 'Run summary',
    description: 'Outcome in brief: status, error, files changed, insertions/deletions, duration, model usage and cost.',
  },
} as const;

export type RunResourceKind = keyof typeof RUN_RESOURCES;

export const RUN_URI_PREFIX = 'outpost://runs/';

export function runUri(runId: string, kind: RunResourceKind = 'run'): string {
  return `${RUN_URI_PREFIX}${runId}${RUN_RESOURCES[kind].suffix}`;
}

/** `resource_link` content items to a run's resources, for tool results (clients fetch them with resources/read). */
export function runLinks(runId: string, kinds: readonly RunResourceKind[] = ['run', 'log', 'patch', 'summary']): ResourceLink[] {
  return kinds.map((kind) => ({
    type: 'resource_link',
    uri: runUri(runId, kind),
    name: `${runId}${RUN_RESOURCES[kind].suffix}`,
    title: `${RUN_RESOURCES[kind].title} ${runId}`,
    mimeType: RUN_RESOURCES[kind].mimeType,
  }));
}
