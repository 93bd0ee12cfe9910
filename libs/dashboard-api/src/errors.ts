import { z } from 'zod';

/** What each error status means; `csrf` is the 403 of a missing or wrong X-CSRF-Token or Origin. */
export const ApiErrorCode = z.enum([
  'invalid_input',
  'unauthenticated',
  'csrf',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

/** Every error body: `{ error: { code, message } }`. */
export const ApiError = z.object({
  error: z.object({ code: ApiErrorCode, message: z.string() }),
});
export type ApiError = z.infer<typeof ApiError>;

/** The HTTP status of each error code. */
export const ERROR_STATUS: Record<ApiErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  csrf: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
};
