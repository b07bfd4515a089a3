import { parseArgs } from 'node:util';
import { closestKey } from '@lock/core';
import { UsageError } from './usage-error.js';

/** The options one subcommand accepts: string-valued or boolean flags. */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** What {@link parseCommandLine} returns. */
export interface ParsedCommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Everything after the first `--`, untouched (the command of `lock run`). */
  rest: string[] | undefined;
}

/**
 * Parses a subcommand's arguments strictly (unknown options are usage errors) and keeps everything after the
 * first `--` aside, so the command run under the lock can have options of its own.
 */
export function parseCommandLine(args: readonly string[], options: OptionSpec): ParsedCommandLine {
  const separator = args.indexOf('--');
  const own = separator === -1 ? [...args] : args.slice(0, separator);
  const rest = separator === -1 ? undefined : args.slice(separator + 1);
  try {
    const { values, positionals } = parseArgs({
      args: own,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedCommandLine['values'], positionals, rest };
  } catch (error) {
    throw new UsageError(withSuggestion((error as Error).message, Object.keys(options)));
  }
}

/** Adds "did you mean --x?" to parseArgs' message about an unknown option, when a known one is close. */
function withSuggestion(message: string, known: readonly string[]): string {
  const unknown = /^Unknown option '--?([^']+)'/.exec(message)?.[1];
  if (unknown === undefined) return message;
  const hint = closestKey(unknown, [...known, 'help']);
  // parseArgs adds a hint about '--' to its message; ours is about the option.
  const first = message.split('. ')[0]!;
  return hint === undefined ? first : `${first}; did you mean --${hint}?`;
}

/** Parses a non-negative integer number of milliseconds given as an option value. */
export function parseMs(option: string, value: string | boolean | undefined, min = 0): number | undefined {
  return parseInteger(option, value, min, 'an integer number of milliseconds');
}

/** Parses an integer option value from `min` to 2^31 - 1 (the longest a Node timer can wait, in ms). */
export function parseInteger(
  option: string,
  value: string | boolean | undefined,
  min: number,
  what = 'an integer',
): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    !/^\d+$/.test(value) ||
    Number(value) < min ||
    Number(value) > 2_147_483_647
  ) {
    throw new UsageError(
      `--${option} expects ${what} from ${min} to 2147483647, received ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** Which lock a command takes: the exclusive lock, a side of the read-write lock, or a semaphore's permit. */
export type Primitive =
  | { readonly kind: 'exclusive' }
  | { readonly kind: 'read' | 'write' }
  | { readonly kind: 'permit'; readonly permits: number };

/** `--shared`, `--write` and `--permits N`, at most one of them: which lock the command takes. */
export function parsePrimitive(
  shared: string | boolean | undefined,
  write: string | boolean | undefined,
  permits: string | boolean | undefined,
): Primitive {
  const count = parseInteger('permits', permits, 1, 'a whole number of permits');
  const given = [
    shared === true && '--shared',
    write === true && '--write',
    count !== undefined && '--permits',
  ];
  const flags = given.filter((flag): flag is string => typeof flag === 'string');
  if (flags.length > 1) {
    throw new UsageError(
      `${flags.join(' and ')} exclude each other: give at most one of --shared, --write, --permits`,
    );
  }
  if (count !== undefined && count > 1_000_000) {
    throw new UsageError(`--permits expects a whole number of permits from 1 to 1000000, received ${count}`);
  }
  if (shared === true) return { kind: 'read' };
  if (write === true) return { kind: 'write' };
  return count === undefined ? { kind: 'exclusive' } : { kind: 'permit', permits: count };
}
