import { Selector } from './selector.js';
import type { SelectorOptions } from './selector-options.js';
import type { SelectorConfig } from './types.js';

/**
 * Builds a {@link Selector} from a configuration object, a path to `lock.config.json`, or nothing (the
 * embedded in-process default), checking every policy at startup. Same as `Selector.create`.
 */
export function createSelector(
  config?: SelectorConfig | string,
  options?: SelectorOptions,
): Promise<Selector> {
  return Selector.create(config, options);
}
