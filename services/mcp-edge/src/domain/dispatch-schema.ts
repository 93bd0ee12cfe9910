import { z } from 'zod';
import { AgentName, RunStatus, TierName } from '@outpost/shared';
import { RunIdArg } from './run-view.js';

/**
 * dispatch's input and output: the tool's schemas and the domain's types (one definition). The
 * descriptions are what MCP clients read.
 */
export const DispatchInputShape = {
  agent: AgentName.optional().describe('The coding agent for a single run. Use this or `agents`.'),
  agents: z
    .array(AgentName)
    .min(1)
    .max(5, 'fan-out is at most 5 agents')
    .optional()
    .describe('Fan-out: one run per entry on the same task (at most 5); an agent may repeat for best-of-N, e.g. ["claude","claude"]. Use this or `agent`.'),
  task: z
    .string()
    .min(1, 'task is empty; describe what the agent should do')
    .max(50_000, 'task is over 50,000 characters; shorten it or point the agent at a file in the repo')
    .describe('What the agent should do, as you would tell a colleague. Up to 50,000 characters.'),
  repo: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .describe('Repository to work in: an https git URL or GitHub `owner/name` (local mode also accepts an http:// URL, an absolute path or a file:// URL). Leave out with continueFrom.'),
  continueFrom: z
    .union([RunIdArg, z.array(RunIdArg).min(1).max(5, 'continueFrom names at most 5 runs')])
    .optional()
    .describe(
      "Follow-up: a finished run's id (or up to 5, e.g. a fan-out's runs) to continue with `task` as the feedback. Each new run starts from that " +
        "run's result in its repository; claude and codex resume its conversation, other agents get its task, final message and diff summary. " +
        'Leave repo and ref out; agent defaults to the run\'s own.',
    ),
  ref: z.string().min(1).max(255).optional().describe('Branch, tag or commit to start from. Default: the repository default branch.'),
  model: z.string().min(1).max(100).optional().describe('Model for the agent, if it should not use its default.'),
  timeoutSeconds: z.number().int().positive().optional().describe("Stop the agent after this long. Default and maximum depend on the tenant's tier."),
  maxCostUsd: z
    .number()
    .positive('maxCostUsd must be above 0')
    .optional()
    .describe("The most a run may spend on model calls, in USD; the model gateway stops its calls there and the run fails with budget_exceeded. Default and ceiling depend on the tenant's tier (fleet_status shows this month's spend)."),
  idempotencyKey: z
    .string()
    .min(1)
    .max(128, 'idempotencyKey is over 128 characters')
    .optional()
    .describe('Retry safety: the same key with the same request within 24 h returns the same runs and starts nothing new.'),
  tags: z
    .record(z.string().min(1).max(64), z.string().max(256))
    .optional()
    .describe('Up to 10 string key/value pairs to find runs later (list_runs tag filter `key=value`).'),
};

/** One run a dispatch queued (or, replayed, an earlier identical dispatch did). */
export const DispatchedRun = z.object({
  runId: z.string(),
  agent: AgentName,
  status: RunStatus,
  tier: TierName,
  createdAt: z.string(),
  parentRunId: z.string().optional(),
});

export type DispatchedRun = z.infer<typeof DispatchedRun>;

export const DispatchOutputShape = {
  runs: z.array(DispatchedRun),
  replayed: z.boolean().describe('True when an earlier dispatch with the same idempotencyKey answered.'),
};

// Whole object schemas, built once: given raw shapes, the SDK would build them on every
// registration, i.e. on every request of the stateless server.
export const DispatchInput = z.object(DispatchInputShape);
export type DispatchInput = z.infer<typeof DispatchInput>;
export const DispatchOutput = z.object(DispatchOutputShape);
/** What a dispatch answers: its runs, and whether an earlier dispatch with the same key answered it. */
export type DispatchOutput = z.infer<typeof DispatchOutput>;
