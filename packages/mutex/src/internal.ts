// Test hooks, not part of the product: `@lock/mutex/internal`. They stop a thread between two atomic steps
// of the shared-mutex protocol so that tests can terminate it exactly there.
export { Phase, setPhaseHook } from './phase-hook.js';
