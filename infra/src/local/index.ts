export { LocalJson, ensureLocalTenant, localJsonPath } from './bootstrap.js';
export { LocalStackEnv } from './config.js';
export { PortInUseError, startEmulators, type EmulatorOptions, type Emulators } from './emulators.js';
export { agentBinsFromCache, freePort, launchLocalStack, REPO_ROOT, servicePlan, type LaunchOptions, type LocalStackHandle } from './launcher.js';
export { provisionAll } from './provision-local.js';
export { requeueActiveRuns } from './requeue.js';
export { startTestStack, type TestStack } from './test-stack.js';
export { AgentInstallError, describeInstall, installAgentClis, type AgentInstallReport, type InstallOptions } from './agent-clis.js';
