import type { TierName } from '../config/tiers.js';

/**
 * Object tag that carries a run's tier on its artifacts. Keys (`tenants/{tenantId}/runs/…`) do not
 * name the tier, so the bucket's lifecycle rules expire tagged objects after the tier's retention;
 * untagged objects fall back to the longest retention of any tier.
 */
export const ARTIFACT_TIER_TAG = 'outpost-tier';

/** The `Tagging` value of a PutObject / CreateMultipartUpload for an artifact of `tier`. */
export function artifactTagging(tier: TierName): string {
  return `${ARTIFACT_TIER_TAG}=${tier}`;
}
