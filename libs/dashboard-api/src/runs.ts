import { z } from 'zod';
import { AgentName, ArtifactName, PublicRun, RUN_ID_PATTERN, RunStatus } from '@outpost/shared/run-schema';

/** A run id in a path. */
export const RunId = z.string().regex(RUN_ID_PATTERN, 'not a run id: run_ followed by 26 characters');
export type RunId = z.infer<typeof RunId>;

/** A run as the dashboard shows it: what get_run shows, without the log tail or any presigned URL. */
export const RunView = PublicRun.omit({ logTail: true });
export type RunView = z.infer<typeof RunView>;

/** A `key=value` tag filter or dispatch tag. */
export const TagPair = z.string().regex(/^[^=]{1,64}=[^=]{0,256}$/, 'tag must be key=value, e.g. ticket=ABC-12');

/** `GET /api/runs` query string (all strings on the wire; limit coerced). */
export const ListRunsQuery = z.object({
  status: RunStatus.optional(),
  agent: AgentName.optional(),
  tag: TagPair.optional(),
  /** Exact repository as dispatched (filtered on the page the query plan reads). */
  repo: z.string().min(1).max(2048).optional(),
  cursor: z.string().min(1).max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;

export const ListRunsResponse = z.object({
  runs: z.array(RunView),
  nextCursor: z.string().optional(),
});
export type ListRunsResponse = z.infer<typeof ListRunsResponse>;

export const TimelineEventKind = z.enum(['queued', 'attempt', 'started', 'cancel_requested', 'finished', 'promotion_requested', 'promotion_finished']);
export type TimelineEventKind = z.infer<typeof TimelineEventKind>;

export const TimelineEvent = z.object({
  at: z.string(),
  event: TimelineEventKind,
  detail: z.string().optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const ArtifactInfo = z.object({ name: ArtifactName, bytes: z.number().int().nonnegative() });
export type ArtifactInfo = z.infer<typeof ArtifactInfo>;

/** `GET /api/runs/:id`. `siblings` are the other runs of the same fan-out dispatch. */
export const RunDetailResponse = z.object({
  run: RunView,
  timeline: z.array(TimelineEvent),
  siblings: z.array(RunView),
  artifacts: z.array(ArtifactInfo),
});
export type RunDetailResponse = z.infer<typeof RunDetailResponse>;

/** `POST /api/runs/:id/cancel`. `outcome` as cancel_run reports it. */
export const CancelRunResponse = z.object({
  run: RunView,
  outcome: z.enum(['cancelled', 'cancel_requested']),
});
export type CancelRunResponse = z.infer<typeof CancelRunResponse>;

/** `POST /api/runs/:id/promote` body. `mode` defaults to `branch`; `draft` needs `mode: 'pull_request'` (else 409, the promote tool's refusal). */
export const PromoteRequest = z.object({
  branch: z.string().min(1).max(200).optional(),
  title: z.string().min(1).max(256).optional(),
  body: z.string().max(60_000).optional(),
  draft: z.boolean().optional(),
  mode: z.enum(['branch', 'pull_request']).default('branch'),
  /** A follow-up chain as one commit (default) or one commit per run. */
  commits: z.enum(['one', 'chain']).default('one'),
});
export type PromoteRequest = z.infer<typeof PromoteRequest>;
