import { z } from 'zod';

/**
 * The SQS message body: only a wake-up call naming a run (DynamoDB is the truth).
 * `kind` says what to do with the run: execute it, or promote its changes.
 */
export const JobMessage = z.object({
  v: z.literal(1),
  kind: z.enum(['run', 'promote']).default('run'),
  tenantId: z.string().min(1),
  runId: z.string().min(1),
});
export type JobMessage = z.infer<typeof JobMessage>;

/** Parses a raw SQS body; returns undefined for anything that is not a valid job (poison message). */
export function parseJobMessage(body: string | undefined): JobMessage | undefined {
  if (!body) return undefined;
  try {
    const parsed = JobMessage.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
