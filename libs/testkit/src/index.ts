export { ShiftedClock, ManualClock } from './clocks.js';
export { createRun, newRunInput, runIdAt, testTenant, type RunCreator } from './factories.js';
export { startTestStack, type TestStack, type TestStackOptions } from './stack.js';
export { until, UntilTimeoutError, type UntilOptions } from './until.js';
