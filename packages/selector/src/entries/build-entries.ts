import { isMainThread } from 'node:worker_threads';
import type { CheckedConfig } from '../config/validate-config.js';
import type { ModuleLoader } from '../types.js';
import { BackendEntry } from './backend-entry.js';
import { embeddedEntries } from './embedded-entries.js';

/**
 * The candidates of a checked configuration: the embedded kinds it leaves on, then its entries in order. Kinds
 * that keep one shared-memory table per process get their providers now, in the main thread: a worker finds
 * such a table only if it existed before the worker started, so "create the selector, then start workers"
 * just works.
 */
export async function buildEntries(
  checked: CheckedConfig,
  loadModule: ModuleLoader,
): Promise<BackendEntry[]> {
  const entries = await embeddedEntries(checked.config, loadModule);
  for (const [name, config] of Object.entries(checked.config.backends ?? {})) {
    entries.push(
      new BackendEntry({
        name,
        kindName: config.kind,
        builtin: false,
        config,
        kind: checked.kinds.get(name),
        clusters: checked.settings.get(name) ?? [],
        previousClusters: checked.previousSettings.get(name),
      }),
    );
  }
  if (isMainThread) {
    for (const entry of entries) {
      if (entry.kind?.prepareInMainThread !== true) continue;
      for (let index = 0; index < entry.clusters.length; index += 1) entry.provider(index, false);
    }
  }
  return entries;
}
