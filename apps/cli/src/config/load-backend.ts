import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Imports a module by specifier, as `import()` does from some place. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/**
 * The loader `lock` gives the selector for backend packages. The `lock` command ships only the embedded
 * kinds (in-process, shared-memory, file); a distributed backend (`@lock/redis` and its client, say) is
 * installed by the user, so it is looked for, in order: beside the `lock` command itself (installed with it,
 * or globally next to it), then in the node_modules of the configuration file's directory and its parents,
 * then in those of the working directory. The first place that has it wins.
 *
 * Only a package that is missing everywhere is reported as missing (with the places looked in); one that
 * is found and fails to load reports its own error.
 */
export function backendLoader(
  directories: readonly string[],
  importHere: ImportModule = (specifier) => import(specifier),
): ImportModule {
  return async (specifier) => {
    try {
      return await importHere(specifier);
    } catch (error) {
      if (!isMissing(error, specifier)) throw error;
      for (const directory of directories) {
        const entry = resolveEntry(specifier, directory);
        if (entry !== undefined) return import(pathToFileURL(entry).href);
      }
      throw Object.assign(
        new Error(
          `Cannot find package '${specifier}' beside the lock command or in ${directories.map((directory) => `${directory}/node_modules`).join(', ')}`,
        ),
        { code: 'ERR_MODULE_NOT_FOUND', cause: error },
      );
    }
  };
}

/** True when `error` says that `specifier` itself (not one of its dependencies) is not installed. */
function isMissing(error: unknown, specifier: string): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec((error as Error).message)?.[1];
  return missing === undefined || missing === specifier || missing.includes(`/node_modules/${specifier}/`);
}

/**
 * The ESM entry of the package `specifier` as seen from `directory` (its `exports` import condition, else
 * `module`, else `main`), or undefined when it is not installed there.
 */
function resolveEntry(specifier: string, directory: string): string | undefined {
  const require = createRequire(join(directory, 'noop.js'));
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${specifier}/package.json`);
  } catch {
    try {
      return require.resolve(specifier);
    } catch {
      return undefined;
    }
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports?: Record<string, unknown>;
    module?: string;
    main?: string;
  };
  const root = manifest.exports?.['.'] as { import?: string | { default?: string } } | string | undefined;
  const fromExports =
    typeof root === 'string' ? root : typeof root?.import === 'string' ? root.import : root?.import?.default;
  const entry = fromExports ?? manifest.module ?? manifest.main ?? 'index.js';
  return join(dirname(manifestPath), entry);
}
