import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where the configuration comes from. */
export interface ConfigSource {
  /** `flag` (--config), `env` (LOCK_CONFIG), `cwd` (./lock.config.json) or `default` (embedded, no server). */
  readonly origin: 'flag' | 'env' | 'cwd' | 'default';
  /** Absolute path of the file, unless `default`. */
  readonly path: string | undefined;
}

/** The file `lock` reads when neither `--config` nor `LOCK_CONFIG` names one. */
export const CONFIG_FILE_NAME = 'lock.config.json';

/**
 * Finds the configuration: `--config FILE`, else the `LOCK_CONFIG` environment variable, else
 * `./lock.config.json` if it exists, else the embedded default. A file named explicitly must exist (the
 * selector reports it if not); only the implicit one is optional.
 */
export function findConfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ConfigSource {
  if (flag !== undefined) return { origin: 'flag', path: resolve(cwd, flag) };
  const fromEnv = env.LOCK_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { origin: 'env', path: resolve(cwd, fromEnv) };
  const implicit = resolve(cwd, CONFIG_FILE_NAME);
  if (existsSync(implicit)) return { origin: 'cwd', path: implicit };
  return { origin: 'default', path: undefined };
}

/** One line saying where the configuration came from, for `explain` and errors. */
export function describeConfigSource(source: ConfigSource): string {
  switch (source.origin) {
    case 'flag':
      return `${source.path} (--config)`;
    case 'env':
      return `${source.path} (LOCK_CONFIG)`;
    case 'cwd':
      return `${source.path}`;
    case 'default':
      return 'embedded default (no server: in-process, shared-memory and host-wide file locks; no lock.config.json, --config or LOCK_CONFIG)';
  }
}
