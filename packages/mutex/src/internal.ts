// Not part of the product: `@lock/mutex/internal`, for this package's tests (and the bench). Nothing here is
// covered by semver.

// Test hooks: they stop a thread between two atomic steps of the shared-mutex protocol so that tests can
// terminate it exactly there.
export { Phase, setPhaseHook } from './shared/phase-hook.js';
// Recovery, switchable in parts, for the tests that show each part is needed.
export { type RecoverySteps, recoverThread } from './shared/recover-thread.js';
// The table's memory, for tests that stand in for other threads or count what a thread keeps.
export type { SharedTable } from './shared/shared-table.js';
// A semaphore that admits more than its permits, for the test that shows its check turns red.
export { setPermitSlack } from './shared/slot-mode.js';
export { slotRuntimeCount } from './shared/slot-runtime.js';
export { claimedCell } from './shared/ticket-cell.js';
