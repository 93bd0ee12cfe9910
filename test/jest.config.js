import { preset } from '../jest.preset.js';

// This package's suites run whole stacks and the real agent CLIs: a run may take its full
// timeoutSeconds (120 s) on a loaded 2-core machine. The cap only stops a hung test; no speed is
// asserted by it.
export default preset({ testTimeout: 180_000 });
