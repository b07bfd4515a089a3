import { checkSettings, InvalidConfigError } from '@lock/core';
import { embeddedEnabled } from '../config/validate-config.js';
import { KIND_CATALOG } from '../kinds/catalog.js';
import { loadKind } from '../kinds/load-kind.js';
import type { ModuleLoader, SelectorConfig } from '../types.js';
import { BackendEntry } from './backend-entry.js';

/**
 * The embedded kinds the configuration leaves on, each from its catalog package: one that is not installed is
 * not a candidate (and says why in `explain`), never an error.
 */
export async function embeddedEntries(
  config: SelectorConfig,
  loadModule: ModuleLoader,
): Promise<BackendEntry[]> {
  return Promise.all(
    embeddedEnabled(config).map(async (kindName) => {
      const catalog = KIND_CATALOG[kindName]!;
      const lookup = await loadKind(kindName, catalog.packageName, catalog.install, loadModule);
      const common = { name: kindName, kindName, builtin: true, config: undefined };
      if (!lookup.found) {
        const unavailable = lookup.missing ? `not installed (${catalog.install})` : lookup.detail;
        return new BackendEntry({ ...common, kind: undefined, clusters: [], unavailable });
      }
      const settings = checkSettings(lookup.kind.settings, {}, kindName);
      if (!settings.ok) throw new InvalidConfigError(settings.issues);
      return new BackendEntry({
        ...common,
        kind: lookup.kind,
        clusters: [settings.value as Record<string, unknown>],
      });
    }),
  );
}
