export { ShiftedClock, ManualClock } from './clocks.js';
export { api, signIn, type BrowserSession } from './dashboard-session.js';
export { createRun, newRunInput, runIdAt, testTenant, type RunCreator } from './factories.js';
export { call, callError, callOk, textOf } from './mcp-calls.js';
export { startTestStack, type TestStack, type TestStackOptions } from './stack.js';
export { until, UntilTimeoutError, type UntilOptions } from './until.js';
export { startMemoryTelemetry, type MemoryTelemetry } from './telemetry.js';
export { createBareRemote, git } from './git-remote.js';
