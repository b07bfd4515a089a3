import { isAbsolute } from 'node:path';
import { settingsObject } from '@lock/core';
import * as v from 'valibot';

const DIRECTORY_EXPECTED = 'an absolute path to a directory, such as "/run/user/1000/lock"';

/** Why `directory` is not a usable setting, in the words of an expectation, or undefined when it is. @internal */
export function directoryProblem(directory: string): string | undefined {
  if (directory.includes('\0')) return `${DIRECTORY_EXPECTED} (without NUL characters)`;
  if (!isAbsolute(directory)) return DIRECTORY_EXPECTED;
  return undefined;
}

/**
 * The settings of the `file` kind, as a `lock.config.json` entry or `createProvider(config)` holds them: one
 * definition gives the TypeScript type, the validation (every problem with its JSON path) and the JSON Schema.
 * Unknown keys are errors. `new FileProvider(options)` checks its options with the same schema.
 */
export const fileSettings = settingsObject(
  {
    directory: v.optional(
      v.pipe(
        v.string(DIRECTORY_EXPECTED),
        v.check(
          (directory) => directoryProblem(directory) === undefined,
          (issue) => directoryProblem(issue.input as string) ?? DIRECTORY_EXPECTED,
        ),
        v.description(
          'Where the lock files live: a directory of your own, mode 0700 (created if missing). Default: $XDG_RUNTIME_DIR/lock, else <tmpdir>/lock-<uid>.',
        ),
      ),
    ),
  },
  'an object such as {} or { "directory": "/run/user/1000/lock" }',
);

/** What a configuration holds for the `file` kind: an optional `directory`. */
export type FileProviderConfig = v.InferInput<typeof fileSettings>;
/** Validated settings of the `file` kind. */
export type FileSettings = v.InferOutput<typeof fileSettings>;
