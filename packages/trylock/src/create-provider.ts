import { InvalidArgumentError } from '@lock/core';
import { TryLockProvider } from './try-lock-provider.js';

/** JSON-friendly configuration of {@link createProvider}. A trylock has no settings yet; the object is kept for symmetry. */
export type TryLockConfig = Record<string, never>;

/** Builds a {@link TryLockProvider} from a config object (as the selector and the `lock` CLI do). */
export function createProvider(config: TryLockConfig = {}): TryLockProvider {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError('config', config, 'a configuration object');
  }
  const unknown = Object.keys(config);
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `config.${unknown[0]}`,
      (config as Record<string, unknown>)[unknown[0]!],
      'no such option (a trylock takes none)',
    );
  return new TryLockProvider();
}
