import { z } from 'zod';

/** What an OAuth token may do. An API key holds every scope. */
export const Scope = z.enum(['runs:read', 'runs:write', 'promote']);
export type Scope = z.infer<typeof Scope>;

export const ALL_SCOPES: readonly Scope[] = Scope.options;

/** The scope each tool needs; a tool missing here is refused to every OAuth token (fail closed). */
export const TOOL_SCOPES: Readonly<Record<string, Scope>> = {
  get_run: 'runs:read',
  list_runs: 'runs:read',
  wait_for_run: 'runs:read',
  fleet_status: 'runs:read',
  dispatch: 'runs:write',
  cancel_run: 'runs:write',
  retry: 'runs:write',
  promote: 'promote',
};

/** Requested scopes → granted ones: none asked means all; an unknown one is an error (undefined). */
export function grantScopes(requested: readonly string[] | undefined): Scope[] | undefined {
  const asked = (requested ?? []).filter((s) => s.length > 0);
  if (asked.length === 0) return [...ALL_SCOPES];
  const parsed = z.array(Scope).safeParse(asked);
  return parsed.success ? [...new Set(parsed.data)] : undefined;
}

/** The scope a tool call lacks, or undefined when it may run. `held` undefined: an API key (all scopes). */
export function missingScope(tool: string, held: readonly Scope[] | undefined): Scope | 'unknown' | undefined {
  if (!held) return undefined;
  const needed = TOOL_SCOPES[tool];
  if (!needed) return 'unknown';
  return held.includes(needed) ? undefined : needed;
}
