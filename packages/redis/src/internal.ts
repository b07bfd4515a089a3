// What the package's tests (and its benchmarks) use from the inside: not the product, no stability promised.

export { EXCLUSIVE, type LockProtocol, modeProtocol } from './redis/lock-protocol.js';
export { grantedToken } from './shared/fence.js';
export { type LockKeys, lockKeys, waiterKey } from './shared/lock-keys.js';
export { type ModeKeys, modeKeys } from './shared/mode-keys.js';
export {
  ACQUIRE_MODE,
  EXTEND_MODE,
  type GrantKind,
  KIND_PERMIT,
  KIND_READ,
  KIND_WRITE,
  RELEASE_MODE,
  STATUS_NAME,
} from './shared/mode-scripts.js';
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
  script,
} from './shared/scripts.js';
