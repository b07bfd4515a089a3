export { createProvider, type MutexConfig } from './create-provider.js';
export { Mutex } from './in-process/mutex.js';
export { MutexProvider } from './in-process/mutex-provider.js';
export type { MutexReader } from './in-process/mutex-reader.js';
export { ReadWriteMutex } from './in-process/read-write-mutex.js';
export { Semaphore } from './in-process/semaphore.js';
export { kinds, type MutexProviderConfig, mutexKind, sharedMutexKind } from './kind.js';
export {
  SharedMutex,
  type SharedMutexLease,
  type SharedMutexOptions,
  type SharedMutexSlotHandle,
} from './shared/shared-mutex.js';
export { SharedMutexProvider } from './shared/shared-mutex-provider.js';
export type {
  SharedMutexProviderConfig,
  SharedMutexProviderOptions,
} from './shared/shared-mutex-settings.js';
export type { SharedMutexHandle } from './shared/shared-table.js';
