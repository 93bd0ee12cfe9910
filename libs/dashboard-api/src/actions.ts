import { z } from 'zod';
import { AgentName, Promotion } from '@outpost/shared/run-schema';
import { RunView, TagPair } from './runs.js';

/** `POST /api/runs/:id/promote` answer: the promote tool's result, word for word. */
export const PromoteResponse = z.object({
  runId: z.string(),
  /** succeeded: the branch (and pull request) exist; pending: still in progress, the run's promotion shows the end. */
  outcome: z.enum(['succeeded', 'pending']),
  /** True when an earlier promote of this run answered (nothing new was started). */
  recorded: z.boolean(),
  promotion: Promotion,
});
export type PromoteResponse = z.infer<typeof PromoteResponse>;

/** `POST /api/dispatch` body: one run per entry of `agents` (the same agent may repeat). */
export const DispatchRequest = z.object({
  repo: z.string().trim().min(1, 'repo is empty').max(2048),
  ref: z.string().trim().min(1).max(255).optional(),
  agents: z.array(AgentName).min(1, 'choose at least one agent').max(5, 'fan-out is at most 5 agents'),
  task: z.string().min(1, 'task is empty; describe what the agent should do').max(50_000),
  model: z.string().trim().min(1).max(100).optional(),
  timeoutSeconds: z.number().int().positive().optional(),
  tags: z.array(TagPair).max(10, 'at most 10 tags').optional(),
});
export type DispatchRequest = z.infer<typeof DispatchRequest>;

export const DispatchResponse = z.object({ runs: z.array(RunView) });
export type DispatchResponse = z.infer<typeof DispatchResponse>;
