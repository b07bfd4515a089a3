export { createProvider, type TryLockConfig } from './create-provider.js';
export { TRY_LOCK_BYTES, TryLock, type TryLockHandle } from './try-lock.js';
export { TRY_LOCK_CAPABILITIES, TryLockAdapter } from './try-lock-adapter.js';
export { TryLockProvider, type TryLockProviderOptions } from './try-lock-provider.js';
export { DEFAULT_TRY_LOCK_CAPACITY, type TryLockTableHandle } from './try-lock-table.js';
