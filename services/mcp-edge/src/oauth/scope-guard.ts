import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { refuse } from '../tools/results.js';
import { missingScope, type Scope } from './scopes.js';

type AnyCallback = (...args: unknown[]) => unknown;
type LooseRegisterTool = (name: string, config: unknown, callback: AnyCallback) => unknown;

/**
 * The server the tools register on, for a caller holding `held` scopes: each tool's callback first
 * checks its scope (TOOL_SCOPES) and refuses with the scope to ask for. An API key (`held`
 * undefined) gets the server itself. The tools stay listed: a client learns what it may not do
 * by the refusal's message, not by a tool that vanished.
 */
export function scopedServer(server: McpServer, held: readonly Scope[] | undefined): McpServer {
  if (!held) return server;
  // registerTool is generic over each tool's schemas; the wrapper passes its arguments through untouched.
  const register = server.registerTool.bind(server) as unknown as LooseRegisterTool;
  const guarded: LooseRegisterTool = (name, config, callback) =>
    register(name, config, (...args: unknown[]) => {
      const missing = missingScope(name, held);
      if (!missing) return callback(...args);
      const need = missing === 'unknown' ? 'an API key' : `the \`${missing}\` scope`;
      return refuse(`${name} needs ${need}; this token has ${held.join(', ') || 'no scopes'}. Sign in again and grant it, or use an API key.`);
    });
  return new Proxy(server, {
    get: (target, prop, receiver) => (prop === 'registerTool' ? guarded : Reflect.get(target, prop, receiver)),
  });
}
