import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { ToolDeps } from './deps.js';
import { registerPrompts } from './prompts/index.js';
import { registerRunResources } from './resources/run-resources.js';
import { serverInfo } from './server-info.js';
import { scopedServer } from './oauth/scope-guard.js';
import { TOOLS, type ToolRegistrar } from './tools/index.js';

const INSTRUCTIONS =
  'Outpost runs coding tasks on a fleet of headless coding agents. dispatch queues a task against a repository ' +
  'and returns run ids at once; wait_for_run follows a run to its end; get_run shows its log, summary and ' +
  'artifact links; list_runs and cancel_run manage runs; dispatch with continueFrom sends feedback on a finished run ' +
  '(a follow-up that starts from its result), retry runs a failed one again; promote pushes a succeeded run\'s changes to a new branch ' +
  'and can open a pull request; fleet_status shows capacity and your limits. Each run is also a resource, outpost://runs/{runId} ' +
  '(with /log, /patch and /summary); tool results link to them.';

// The SDK builds a new Ajv instance per server unless given one; per request that was the
// largest single cost of a call. One validator serves every server (it holds no per-call state).
const sharedValidator = new AjvJsonSchemaValidator();

/**
 * A server built for one request that is a single call (json-answer.ts): `tool` is the tool it
 * calls (none for a ping). Registering a tool builds its schemas' JSON shapes, and the prompts and
 * resources build theirs: per get_run that was more work than the call itself, for parts the call
 * never touches. A call to a tool that does not exist is refused the same way either way.
 */
export interface OneCall {
  tool: string | undefined;
}

type AnyCallback = (...args: unknown[]) => unknown;
type LooseRegisterTool = (name: string, config: unknown, callback: AnyCallback) => unknown;

function withOnlyTool(server: McpServer, tool: string | undefined): McpServer {
  // registerTool is generic over each tool's schemas; the filter passes the arguments through untouched.
  const register = server.registerTool.bind(server) as unknown as LooseRegisterTool;
  const filtered: LooseRegisterTool = (name, config, callback) => (name === tool ? register(name, config, callback) : undefined);
  return new Proxy(server, { get: (target, prop, receiver) => (prop === 'registerTool' ? filtered : Reflect.get(target, prop, receiver)) });
}

/**
 * A fresh MCP server for one tenant (stateless HTTP: one per request; stdio: one per process):
 * the tools, the runs as resources, and the prompts. `baseUrl`: the edge's origin as the client
 * reached it (HTTP only), for serverInfo's website and icon. An OAuth token's scopes gate each
 * tool (scopedServer); the resources and prompts read runs, so they need `runs:read`.
 */
export function createMcpServer(deps: ToolDeps, tools: readonly ToolRegistrar[] = TOOLS, baseUrl?: string, only?: OneCall): McpServer {
  const server = new McpServer(serverInfo(baseUrl), { capabilities: { tools: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: sharedValidator });
  const scoped = scopedServer(server, deps.tenant.scopes);
  const target = only ? withOnlyTool(scoped, only.tool) : scoped;
  for (const register of tools) register(target, deps);
  if (only) return server;
  if (!deps.tenant.scopes || deps.tenant.scopes.includes('runs:read')) {
    registerRunResources(server, deps);
    registerPrompts(server, deps);
  }
  return server;
}
