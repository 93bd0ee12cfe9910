import { z } from 'zod';
import { TierName } from '../config/tiers.js';
import { AgentName } from './run.js';

export const WorkerState = z.enum(['idle', 'busy', 'draining']);
export type WorkerState = z.infer<typeof WorkerState>;

/** A worker's heartbeat item: readers ignore items whose expiresAt has passed (dynalite has no TTL). */
export const WorkerHeartbeat = z.object({
  tier: TierName,
  workerId: z.string(),
  state: WorkerState,
  currentRuns: z.array(z.string()),
  capacity: z.number().int().positive(),
  agents: z.array(AgentName),
  /** What each agent's `--version` printed (first line); absent on workers older than the field. */
  agentVersions: z.partialRecord(AgentName, z.string().max(200)).optional(),
  version: z.string(),
  host: z.string().optional(),
  pid: z.number().int().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** Epoch seconds; also the DynamoDB TTL attribute. */
  expiresAt: z.number().int(),
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeat>;
