export { createProvider, type MutexConfig } from './create-provider.js';
export { MUTEX_CAPABILITIES, Mutex } from './mutex.js';
export { MutexProvider } from './mutex-provider.js';
export {
  SHARED_MUTEX_CAPABILITIES,
  SharedMutex,
  type SharedMutexLease,
  type SharedMutexOptions,
  type SharedMutexSlotHandle,
} from './shared-mutex.js';
export { SharedMutexProvider, type SharedMutexProviderOptions } from './shared-mutex-provider.js';
export { DEFAULT_CAPACITY, DEFAULT_MAX_THREADS, type SharedMutexHandle } from './shared-table.js';
