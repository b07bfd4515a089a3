// Not part of the product: `@lock/etcd/internal`, what this package's tests reach inside for. Nothing here is
// covered by semver.
export { endpointListProblem, endpointProblem } from './endpoints.js';
export { ETCD_MIN_TTL_MS, ETCD_TTL_STEP_MS } from './etcd-capabilities.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TTL_MS, etcdSettings } from './etcd-settings.js';
export { exclusiveMode, type KeyMode, modeOfKey, permitMode, sharedMode } from './key-mode.js';
export { escapeLockName, lockPrefix } from './lock-key.js';
export { isRetryableError } from './retryable-error.js';
export { serverInfo } from './server-version.js';
export { waitForDelete } from './wait-for-delete.js';
export { waitForPermit } from './wait-for-permit.js';
export { waitForTurn } from './wait-for-turn.js';
