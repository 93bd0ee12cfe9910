// Shared jest settings: TypeScript ESM transpiled by swc (type-checking is `npm run lint`),
// workspace packages resolved to their sources so tests never run against a stale dist.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));

/** @returns {import('jest').Config} */
export function preset(overrides = {}) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/src/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { target: 'es2022', parser: { syntax: 'typescript' }, keepClassNames: true },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper: {
      '^@outpost/shared$': path.join(root, 'libs/shared/src/index.ts'),
      '^@outpost/infra/local$': path.join(root, 'infra/src/local/index.ts'),
      '^@outpost/testkit$': path.join(root, 'libs/testkit/src/index.ts'),
      '^@outpost/mcp-edge$': path.join(root, 'services/mcp-edge/src/index.ts'),
      '^@outpost/worker$': path.join(root, 'services/worker/src/index.ts'),
      '^@outpost/dispatcher$': path.join(root, 'services/dispatcher/src/index.ts'),
      '^@outpost/notifier$': path.join(root, 'services/notifier/src/index.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testTimeout: 30_000,
    ...overrides,
  };
}
