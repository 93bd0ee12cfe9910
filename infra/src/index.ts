export { provisionAll, startEmulators, type Emulators } from './local/index.js';
