import type { FencingMode } from './guarded-resource.js';

/**
 * Broken variants that must turn the checkers red:
 * - `'no-lock'`: clients skip the lock and use token 0 (with a runner-started resource, fencing is off
 *   too, or the fence alone would save them);
 * - `'fencing-off'`: clients lock normally, the resource accepts every read and write;
 * - `'reads-unfenced'`: clients lock normally, the resource fences writes only, so an older holder that
 *   writes between a newer holder's read and write has its update erased.
 */
export type ClientMutant = 'none' | 'no-lock' | 'fencing-off' | 'reads-unfenced';

/** The fencing a resource must have for `mutant` (and the one the runner starts it with). */
export function fencingFor(mutant: ClientMutant): FencingMode {
  if (mutant === 'none') return 'on';
  if (mutant === 'reads-unfenced') return 'writes-only';
  return 'off';
}
