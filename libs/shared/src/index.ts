// The public surface: one index per folder, each naming what its folder exports.
export * from './core/index.js';
export * from './aws/index.js';
export * from './config/index.js';
export * from './stores/index.js';
export * from './security/index.js';
export * from './schemas/index.js';
export * from './repo/index.js';
export * from './local/index.js';
export * from './webhooks/index.js';
export * from './telemetry/index.js';
