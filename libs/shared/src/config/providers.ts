import { z } from 'zod';

/** The model providers agents talk to; each has a deployment setting for its endpoint. */
export const Provider = z.enum(['anthropic', 'openai', 'gemini', 'xai']);
export type Provider = z.infer<typeof Provider>;
export const PROVIDERS: readonly Provider[] = Provider.options;

/** The worker variable holding a provider's base URL (unset: the vendor's default). */
export const PROVIDER_BASE_URL_ENV = {
  anthropic: 'OUTPOST_ANTHROPIC_BASE_URL',
  openai: 'OUTPOST_OPENAI_BASE_URL',
  gemini: 'OUTPOST_GEMINI_BASE_URL',
  xai: 'OUTPOST_XAI_BASE_URL',
} as const satisfies Record<Provider, string>;

/**
 * The vendors' own base URLs, in the form each CLI's base-URL setting takes. Adapters hand these
 * over explicitly when nothing is configured, so a repository's settings never pick an endpoint.
 */
export const VENDOR_BASE_URLS: Record<Provider, string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
  xai: 'https://api.x.ai/v1',
};
