import { dirname } from 'node:path';
import { createSelector, type LockNeeds, type Selector } from '@lock/selector';
import { type ConfigSource, findConfig } from './find-config.js';
import { backendLoader } from './load-backend.js';

/**
 * What every `lock` subcommand that takes a lock adds to the policy's needs: the lock must exclude other
 * processes, since the command it protects is one (an in-process lock would exclude nothing here). Every
 * process of the host is the least: with no configuration, the embedded file lock serves, as flock(1) does.
 */
export const CLI_NEEDS: LockNeeds = Object.freeze({ scope: 'host' as const });

/** The selector of a `lock` subcommand and where its configuration came from. */
export interface OpenedSelector {
  readonly selector: Selector;
  readonly source: ConfigSource;
}

/** How a subcommand wants its selector. */
export interface OpenSelectorOptions {
  /** `false`: do not check every policy at startup (explain one name even if another is unsatisfiable). */
  readonly check?: boolean | undefined;
  /** `lock run --ttl`: the lease length of every backend whose grants expire (each kind knows its setting). */
  readonly ttlMs?: number | undefined;
  /** `lock stress --backend`: pin every name to this configured entry. */
  readonly backend?: string | undefined;
}

/**
 * Finds the configuration (see `findConfig`) and builds the selector from it, parsing and validating the file
 * once. Backend packages are looked for beside the CLI, then beside the configuration file, then in the working
 * directory (see `backendLoader`).
 */
export async function openSelector(
  configFlag: string | undefined,
  options: OpenSelectorOptions = {},
): Promise<OpenedSelector> {
  const source = findConfig(configFlag);
  const selector = await createSelector(source.path, {
    loadModule: backendLoader([
      ...new Set([...(source.path === undefined ? [] : [dirname(source.path)]), process.cwd()]),
    ]),
    check: options.check,
    ttlMs: options.ttlMs,
    backend: options.backend,
  });
  return { selector, source };
}
