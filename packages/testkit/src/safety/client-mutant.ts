import type { FencingMode } from './guarded-resource.js';

/**
 * Broken variants that must turn the checkers red:
 * - `'no-lock'`: clients skip the lock and use token 0 (with a runner-started resource, fencing is off
 *   too, or the fence alone would save them);
 * - `'fencing-off'`: clients lock normally, the resource accepts every read and write;
 * - `'reads-unfenced'`: clients lock normally, the resource fences writes only, so an older holder that
 *   writes between a newer holder's read and write has its update erased;
 * - `'write-as-read'` (read-write clients, `writeRatio`): a write section takes the read lock, a write
 *   grant that acts as a read grant;
 * - `'permits-plus-one'` (semaphore clients, `permits`): every client builds its semaphore with one permit
 *   more than the run checks, a semaphore that admits N+1.
 */
export type ClientMutant =
  | 'none'
  | 'no-lock'
  | 'fencing-off'
  | 'reads-unfenced'
  | 'write-as-read'
  | 'permits-plus-one';

/** The fencing a resource must have for `mutant` (and the one the runner starts it with). */
export function fencingFor(mutant: ClientMutant): FencingMode {
  if (mutant === 'none' || mutant === 'write-as-read' || mutant === 'permits-plus-one') return 'on';
  if (mutant === 'reads-unfenced') return 'writes-only';
  return 'off';
}
