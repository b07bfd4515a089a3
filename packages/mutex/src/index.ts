export { createProvider, type MutexConfig } from './create-provider.js';
export { MUTEX_CAPABILITIES, Mutex } from './mutex.js';
export { MutexProvider } from './mutex-provider.js';
