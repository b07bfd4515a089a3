import { type BackendKind, LockBackendError } from '@lock/core';
import type { ModuleLoader } from '../types.js';

/** A kind found in its module, or why it could not be. */
export type KindLookup =
  | { readonly found: true; readonly kind: BackendKind }
  | { readonly found: false; readonly missing: boolean; readonly detail: string };

/**
 * Loads the module that describes `kind` and finds the kind among its `kinds`. A module that is not installed
 * or has no such kind is reported in words that say what to install or what the module offers instead.
 */
export async function loadKind(
  kind: string,
  specifier: string,
  install: string,
  loadModule: ModuleLoader,
): Promise<KindLookup> {
  let module: { kinds?: unknown };
  try {
    module = (await loadModule(specifier)) as { kinds?: unknown };
  } catch (error) {
    if (!isMissingModule(error)) {
      return {
        found: false,
        missing: false,
        detail: `package ${specifier} cannot be loaded: ${messageOf(error)}`,
      };
    }
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(messageOf(error))?.[1];
    const detail =
      missing === undefined || missing === specifier || missing.includes(`/${specifier}/`)
        ? `package ${specifier} is not installed; install it with: ${install}`
        : `package ${specifier} needs ${missing}, which is not installed; install them with: ${install}`;
    return { found: false, missing: true, detail };
  }
  const kinds = Array.isArray(module.kinds) ? (module.kinds as BackendKind[]) : [];
  const descriptor = kinds.find((candidate) => candidate?.kind === kind);
  if (descriptor !== undefined) return { found: true, kind: descriptor };
  const offered = kinds.map((candidate) => JSON.stringify(candidate?.kind)).join(', ');
  return {
    found: false,
    missing: false,
    detail:
      kinds.length === 0
        ? `package ${specifier} exports no \`kinds\` (the descriptors of the backend kinds it implements)`
        : `package ${specifier} has no kind "${kind}" (it offers ${offered})`,
  };
}

/** The error a configured backend whose kind cannot be loaded fails the selector with. */
export function kindLoadError(
  entryName: string,
  kind: string,
  detail: string,
  cause?: unknown,
): LockBackendError {
  return new LockBackendError(kind, 'load', { cause, detail: `backends.${entryName}: ${detail}` });
}

function isMissingModule(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
