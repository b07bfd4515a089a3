import { InvalidArgumentError } from '@lock/core';
import { MutexProvider } from './mutex-provider.js';

/** JSON-friendly configuration of {@link createProvider}. */
export interface MutexConfig {
  /** `'mutex'` (one process, the default). */
  backend?: 'mutex';
}

/** Builds a provider from a config object, as the selector and the `lock` CLI do. */
export function createProvider(config: MutexConfig = {}): MutexProvider {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError('config', config, 'a configuration object');
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'backend') {
      if (value !== 'mutex') throw new InvalidArgumentError('config.backend', value, "'mutex'");
    } else {
      throw new InvalidArgumentError(`config.${key}`, value, 'a known option (backend)');
    }
  }
  return new MutexProvider();
}
