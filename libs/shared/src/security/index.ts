export { REDACTED, redact, StreamRedactor } from './redact.js';
export { findTokenShapedSecret, TOKEN_PATTERNS, type TokenFound, type TokenKind, type TokenPattern } from './token-patterns.js';
export { AGENT_SECRETS, SECRET_NAMES, SECRET_PROVIDER, SecretName, secretsFromParameters, type AgentSecretRequirement, type SecretEnvBinding } from './secret-names.js';
