// Not part of the product: `@lock/file/internal`, what this package's tests (and their child processes) reach
// inside for. Nothing here is covered by semver.
export { ensureLockDirectory } from './directory/lock-directory.js';
export { directoryProblem, fileSettings } from './file-settings.js';
export { tryLockFd, unlockFd } from './kernel/kernel-lock.js';
export {
  KernelWaiter,
  killedWaitersExited,
  setWaiterWaits,
  WAITER_TITLE,
  type WaiterWaits,
} from './kernel/kernel-waiter.js';
export { LockFile } from './lock-file/lock-file.js';
export { CLOCK_SCALE, HEADER_SIZE, mintToken, PID_OFFSET, readHeader } from './lock-file/lock-file-header.js';
export { setTurnstileMode, type TurnstileMode } from './state/take-lock.js';
export { type KernelWaitMode, setKernelWaitMode, WAITER_LINGER_MS } from './state/wait-in-kernel.js';
export { kernelLocksOf, parseProcLocks } from './status/proc-locks.js';
