import {
  type BackendKind,
  createSelector,
  type LockNeeds,
  loadConfigFile,
  type Selector,
  type SelectorConfig,
} from '@lock/selector';
import { type ConfigSource, findConfig } from './find-config.js';

/**
 * What every `lock` subcommand that takes a lock adds to the policy's needs: the lock must exclude other
 * processes, since the command it protects is one. An in-process lock would exclude nothing here.
 */
export const CLI_NEEDS: LockNeeds = Object.freeze({ scope: 'cluster' as const });

/** The selector of a `lock` subcommand and where its configuration came from. */
export interface OpenedSelector {
  readonly selector: Selector;
  readonly source: ConfigSource;
}

/**
 * Kinds whose lease length belongs to the provider, not to each acquire: every lock of an etcd provider
 * shares its one session lease, so `lock run --ttl` must set the session TTL in the backend's settings.
 */
export const SESSION_TTL_KINDS: ReadonlySet<BackendKind> = new Set<BackendKind>(['etcd']);

/** The configuration with `ttlMs` set on every entry (and cluster) of a {@link SESSION_TTL_KINDS} kind. */
function withSessionTtl(config: SelectorConfig, ttlMs: number): SelectorConfig {
  const backends = Object.fromEntries(
    Object.entries(config.backends ?? {}).map(([name, entry]) => {
      if (!SESSION_TTL_KINDS.has(entry.kind)) return [name, entry];
      const clusters = entry.clusters?.map((cluster) => ({ ...cluster, ttlMs }));
      return [name, { ...entry, ttlMs, ...(clusters === undefined ? {} : { clusters }) }];
    }),
  );
  return { ...config, backends };
}

/**
 * Finds the configuration (see `findConfig`) and builds the selector. Backend packages are imported from
 * the CLI's own location, where all of them are installed. `sessionTtlMs` (`lock run --ttl`) becomes the
 * `ttlMs` of the backends whose lease length is per provider ({@link SESSION_TTL_KINDS}).
 */
export async function openSelector(
  configFlag: string | undefined,
  check = true,
  sessionTtlMs?: number,
): Promise<OpenedSelector> {
  const source = findConfig(configFlag);
  const config =
    sessionTtlMs === undefined || source.path === undefined
      ? source.path
      : withSessionTtl(await loadConfigFile(source.path), sessionTtlMs);
  const selector = await createSelector(config, {
    loadModule: (packageName) => import(packageName),
    check,
  });
  return { selector, source };
}
