import type { BackendKind } from '@lock/core';
import type { ModuleLoader } from '../types.js';
import { KIND_CATALOG } from './catalog.js';
import { loadKind } from './load-kind.js';

/** Every catalog kind whose package loads here; the others are left out without an error. */
export async function installedCatalogKinds(loadModule: ModuleLoader): Promise<BackendKind[]> {
  const found = await Promise.all(
    Object.entries(KIND_CATALOG).map(async ([kind, entry]) => {
      const lookup = await loadKind(kind, entry.packageName, entry.install, loadModule);
      return lookup.found ? [lookup.kind] : [];
    }),
  );
  return found.flat();
}
