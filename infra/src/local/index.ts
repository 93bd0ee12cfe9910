export { LocalJson, ensureLocalTenant, localJsonPath } from './bootstrap.js';
export { LocalStackEnv } from './config.js';
export { PortInUseError, startEmulators, type EmulatorOptions, type Emulators } from './emulators.js';
export { agentBinsFromCache, freePort, launchLocalStack, REPO_ROOT, servicePlan, type LaunchOptions, type LocalStackHandle } from './launcher.js';
export { ensureStackCredentials, makePrivate } from './private-home.js';
export { provisionAll } from './provision-local.js';
export { requeueActiveRuns } from './requeue.js';
export { SigV4Verifier, type IncomingSignedRequest, type Refusal, type RefusalReason, type StackCredentials, type Verdict } from './sigv4-verifier.js';
export { AgentInstallError, describeInstall, installAgentClis, type AgentInstallReport, type InstallOptions } from './agent-clis.js';
