import { z } from 'zod';
import { TierName } from '@outpost/shared/run-schema';

/** `POST /api/session`: sign in with an API key (JSON body only). */
export const SignInRequest = z.object({
  apiKey: z.string().min(1, 'apiKey is empty').max(512),
});
export type SignInRequest = z.infer<typeof SignInRequest>;

/** `POST` and `GET /api/session`: who is signed in, the CSRF token to send back, when it ends. */
export const SessionInfo = z.object({
  tenantId: z.string(),
  tier: TierName,
  csrfToken: z.string(),
  expiresAt: z.string(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** `DELETE /api/session`. */
export const SignOutResponse = z.object({ signedOut: z.literal(true) });
export type SignOutResponse = z.infer<typeof SignOutResponse>;
