import { parseSettings } from '@lock/core';
import type { FileProvider } from './file-provider.js';
import type { FileProviderConfig } from './file-settings.js';
import { fileKind } from './kind.js';

/**
 * Builds a {@link FileProvider} from a JSON config (as `lock.config.json` holds it): `{}` for the default
 * per-user directory, or `{ "directory": "/run/user/1000/lock" }`. Checked by the kind's schema before any
 * I/O (`InvalidConfigError` naming `config.directory`, an unknown key with the closest known one).
 */
export function createProvider(config: FileProviderConfig = {}): FileProvider {
  return fileKind.createProvider(parseSettings(fileKind.settings, config, 'config'));
}
