export { createProvider } from './create-provider.js';
export { kinds, tryLockKind } from './kind.js';
export { TRY_LOCK_BYTES, TryLock, type TryLockHandle } from './try-lock.js';
export { TryLockAdapter } from './try-lock-adapter.js';
export { TryLockProvider } from './try-lock-provider.js';
export type { TryLockProviderConfig, TryLockProviderOptions } from './try-lock-settings.js';
export type { TryLockTableHandle } from './try-lock-table.js';
