export {
  instrumentLocks,
  type LockInstrumentation,
  type LockInstrumentationOptions,
} from './instrument-locks.js';
export { type AcquireOutcome, LOCK_METRICS } from './metric-names.js';
