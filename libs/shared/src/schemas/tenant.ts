import { z } from 'zod';
import { TierName } from '../config/tiers.js';

export const Tenant = z.object({
  tenantId: z.string(),
  name: z.string().min(1).max(200),
  tier: TierName,
  createdAt: z.string(),
  updatedAt: z.string().optional(),
});
export type Tenant = z.infer<typeof Tenant>;

/** API keys look like `op_live_…` or `op_test_…`. */
export const API_KEY_PATTERN = /^op_(live|test)_[A-Za-z0-9_-]{24,64}$/;

/** An API key as stored: only its SHA-256 hash, never the key. */
export const ApiKeyRecord = z.object({
  keyHash: z.string().length(64),
  tenantId: z.string(),
  /** The first characters of the key, for humans to tell keys apart. */
  prefix: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

/** Per-tenant counters used for admission (active runs, runs per UTC day). */
export const UsageCounter = z.object({
  tenantId: z.string(),
  /** `active`, `day#YYYY-MM-DD`, or `spend#YYYY-MM` (count in micro-dollars). */
  counter: z.string(),
  count: z.number().int(),
  expiresAt: z.number().int().optional(),
});
export type UsageCounter = z.infer<typeof UsageCounter>;

/** Idempotency record: written first (conditional put), then the runs. */
export const IdempotencyRecord = z.object({
  tenantId: z.string(),
  key: z.string(),
  runIds: z.array(z.string()),
  requestHash: z.string(),
  createdAt: z.string(),
  expiresAt: z.number().int(),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;
