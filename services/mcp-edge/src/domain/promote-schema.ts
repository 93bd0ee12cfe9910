import { z } from 'zod';
import { MAX_BRANCH_LENGTH, Promotion } from '@outpost/shared';
import { RunIdArg } from './run-view.js';

/** promote's input and output: the tool's schemas and the domain's types (one definition). */
export const PromoteInputShape = {
  runId: RunIdArg,
  branch: z
    .string()
    .max(MAX_BRANCH_LENGTH)
    .optional()
    .describe('Branch to create with the run’s changes (default outpost/<runId>). Must not exist yet; never the default branch or base.'),
  commitMessage: z
    .string()
    .min(1)
    .max(10_000)
    .optional()
    .describe('Commit message (default: the task’s first line, naming the run). If the agent committed, its commits are kept and this is used only for what it left uncommitted.'),
  createPullRequest: z.boolean().default(false).describe('Also open a GitHub pull request (needs the github_token secret). Default false.'),
  draft: z.boolean().default(false).describe('Open the pull request as a draft (only with createPullRequest). Default false.'),
  commits: z
    .enum(['one', 'chain'])
    .default('one')
    .describe("For a follow-up, whose changes include its chain's: 'one' (default) pushes the whole change as the run's result; 'chain' one commit per run of the chain, oldest first."),
  title: z.string().min(1).max(256).optional().describe('Pull request title (default: the task’s first line).'),
  body: z.string().max(60_000).optional().describe('Pull request description.'),
  base: z.string().max(MAX_BRANCH_LENGTH).optional().describe('Branch the pull request targets (default: the repository’s default branch).'),
};

export const PromoteOutputShape = {
  runId: z.string(),
  outcome: z
    .enum(['succeeded', 'pending'])
    .describe('succeeded: the branch (and pull request) exist; pending: still in progress, get_run shows the end in its promotion field.'),
  recorded: z.boolean().describe('True when this is the result of an earlier promote call for this run (nothing new was started).'),
  promotion: Promotion,
};

export const PromoteInput = z.object(PromoteInputShape);
/** Parsed input: `createPullRequest`, `draft` and `commits` have their defaults. */
export type PromoteInput = z.output<typeof PromoteInput>;
export const PromoteOutput = z.object(PromoteOutputShape);
export type PromoteOutput = z.infer<typeof PromoteOutput>;
