import { OutpostError } from '@outpost/shared';

/** Why the edge refuses a request, as one code of the shared vocabulary. */
export type RefusalCode = 'invalid_input' | 'not_found' | 'conflict' | 'rate_limited';

/**
 * A refusal the caller can act on, thrown from deep inside the domain: the message says what to
 * change. A tool answers it as an `isError` result, the dashboard with its code's status
 * (`rate_limited`: a limit of the tenant's tier, 429).
 */
export class RefusalError extends OutpostError {
  override readonly name = 'RefusalError';
  constructor(
    message: string,
    readonly code: RefusalCode = 'invalid_input',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
