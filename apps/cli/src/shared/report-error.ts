import {
  InvalidArgumentError,
  LockBackendError,
  LockError,
  LockLostError,
  LockTimeoutError,
  NoBackendSatisfiesError,
  UnsupportedCapabilityError,
} from '@lock/core';
import { EXIT } from './exit-codes.js';
import { UsageError } from './usage-error.js';

const LOAD_HINT =
  "  (lock looks for backend packages beside itself, then in the node_modules of the configuration file's directory and of the working directory)\n";

/**
 * The exit code an error maps to: usage errors 64, configuration problems (an invalid file, no backend for the
 * needs, a backend package missing) 78, a backend that failed or could not be reached 69, a lock not acquired
 * 75, a lock lost 79, anything unexpected 70.
 */
export function reportErrorCode(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  // An invalid name is bad usage; a valid name that no policy covers is a gap in the configuration.
  if (
    InvalidArgumentError.isInstance(error) &&
    error.parameter === 'name' &&
    !/policy/.test(error.expected)
  ) {
    return EXIT.USAGE;
  }
  if (
    InvalidArgumentError.isInstance(error) ||
    NoBackendSatisfiesError.isInstance(error) ||
    UnsupportedCapabilityError.isInstance(error)
  ) {
    return EXIT.CONFIG;
  }
  // A backend package that is missing is a setup problem, not an outage.
  if (LockBackendError.isInstance(error)) return error.operation === 'load' ? EXIT.CONFIG : EXIT.BACKEND;
  if (LockTimeoutError.isInstance(error)) return EXIT.TIMEOUT;
  if (LockLostError.isInstance(error)) return EXIT.LOST;
  if (LockError.isInstance(error)) return EXIT.BACKEND;
  return EXIT.INTERNAL;
}

/**
 * Prints an error the way the `lock` command reports it and returns its exit code (see {@link reportErrorCode}):
 * usage errors with the usage line, configuration and backend errors with their message (which names the
 * field, the package to install, or the unmet needs), anything unexpected with its stack.
 */
export function reportError(command: string, error: unknown, usage: string): number {
  const write = (text: string) => process.stderr.write(`lock ${command}: ${text}\n`);
  const code = reportErrorCode(error);
  if (code === EXIT.INTERNAL) {
    write(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return code;
  }
  write((error as Error).message);
  if (error instanceof UsageError)
    process.stderr.write(`${usage}\nRun 'lock ${command} --help' for details.\n`);
  if (LockBackendError.isInstance(error) && error.operation === 'load') process.stderr.write(LOAD_HINT);
  return code;
}
