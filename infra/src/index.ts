export { provisionAll, startEmulators, startTestStack, type Emulators, type TestStack } from './local/index.js';
