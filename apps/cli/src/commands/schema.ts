import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BackendKind } from '@lock/core';
import { configJsonSchema, installedCatalogKinds, KIND_CATALOG, readConfigFile } from '@lock/selector';
import { loadKind } from '@lock/selector/internal';
import { findConfig } from '../config/find-config.js';
import { EXIT } from '../shared/exit-codes.js';
import { parseCommandLine } from '../shared/parse-command-line.js';
import { reportError } from '../shared/report-error.js';
import { UsageError } from '../shared/usage-error.js';

const USAGE = 'Usage: lock schema [--config file] [--out file]';

const HELP = `${USAGE}

Prints the JSON Schema of lock.config.json for the backend kinds installed here, and for the kinds a
configuration names with a "package" of their own. Point a configuration at it with "$schema" and editors
complete and check it as you type. @lock/selector ships one for its catalog kinds as
node_modules/@lock/selector/lock.config.schema.json.

Options:
  --config file   also describe the kinds this configuration names by "package" (default: $LOCK_CONFIG,
                  else ./lock.config.json, if any)
  --out file      write the schema to this file instead of standard output
  -h, --help      this help

Exit codes:
  ${EXIT.OK}    written
  ${EXIT.USAGE}   bad usage
  ${EXIT.CONFIG}   the configuration cannot be read
`;

/** `lock schema [--config file] [--out file]`. */
export async function run(args: string[]): Promise<number> {
  try {
    const { values, positionals, rest } = parseCommandLine(args, {
      config: { type: 'string' },
      out: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length > 0 || rest !== undefined) throw new UsageError('expected no arguments');
    const kinds = await installedKinds(values.config as string | undefined);
    const text = `${JSON.stringify(configJsonSchema(kinds), null, 2)}\n`;
    if (values.out === undefined) process.stdout.write(text);
    else await writeFile(values.out as string, text);
    return EXIT.OK;
  } catch (error) {
    return reportError('schema', error, USAGE);
  }
}

/** Every catalog kind whose package loads here, then the kinds the configuration names by package. */
async function installedKinds(configFlag: string | undefined): Promise<BackendKind[]> {
  const loadModule = (specifier: string) => import(specifier);
  const kinds = await installedCatalogKinds(loadModule);
  const source = findConfig(configFlag);
  if (source.path === undefined) return kinds;
  const config = (await readConfigFile(source.path)) as {
    backends?: Record<string, { kind?: unknown; package?: unknown } | undefined>;
  };
  for (const entry of Object.values(config.backends ?? {})) {
    if (typeof entry?.kind !== 'string' || typeof entry.package !== 'string' || entry.kind in KIND_CATALOG)
      continue;
    const specifier = entry.package.startsWith('.')
      ? pathToFileURL(resolve(dirname(source.path), entry.package)).href
      : entry.package;
    const lookup = await loadKind(entry.kind, specifier, `npm install ${entry.package}`, loadModule);
    if (lookup.found) kinds.push(lookup.kind);
  }
  return kinds;
}
