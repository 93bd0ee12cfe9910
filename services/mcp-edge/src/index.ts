export { Authenticator, type AuthenticatorOptions, type TenantContext } from './auth.js';
export { loadMcpEdgeConfig, McpEdgeEnv, type McpEdgeConfig } from './config.js';
export type { EdgeDeps, ToolDeps } from './deps.js';
export { dispatch, INLINE_TASK_MAX_BYTES, type DispatchInput, type DispatchResult, type DispatchedRun } from './dispatch.js';
export { startEdge, type Edge, type EdgeOptions } from './http-server.js';
export { createMcpServer, SERVER_INFO } from './mcp-server.js';
export { TOOLS, type ToolRegistrar } from './tools/index.js';
export { guarded, ok, refuse, ToolRefusal } from './tools/results.js';
export { notFoundMessage } from './tools/run-view.js';
