// What the package's tests (and its benchmarks) use from the inside: not the product, no stability promised.
export { grantedToken } from './shared/fence.js';
export { type LockKeys, lockKeys, waiterKey } from './shared/lock-keys.js';
export { runScript } from './shared/run-script.js';
export {
  ACQUIRE,
  EXTEND,
  EXTENDED,
  FENCE_EPOCH_SCALE,
  FREED,
  HANDED_OVER,
  LEAVE,
  LEFT_QUEUE,
  MODE_QUEUE,
  MODE_RECHECK,
  MODE_TRY,
  NOT_GRANTED,
  NOT_OURS,
  RELEASE,
  STATUS,
  STAY,
} from './shared/scripts.js';
