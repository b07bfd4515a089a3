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

/**
 * Prints an error the way the `lock` command reports it and returns its exit code: usage errors with the
 * usage line, configuration and backend errors with their message (which names the field, the package to
 * install, or the unmet needs), anything unexpected with its stack.
 */
export function reportError(command: string, error: unknown, usage: string): number {
  const write = (text: string) => process.stderr.write(`lock ${command}: ${text}\n`);
  if (error instanceof UsageError) {
    write(error.message);
    process.stderr.write(`${usage}\nRun 'lock ${command} --help' for details.\n`);
    return EXIT.USAGE;
  }
  // An invalid name is bad usage; a valid name that no policy covers is a gap in the configuration.
  if (
    InvalidArgumentError.isInstance(error) &&
    error.parameter === 'name' &&
    !/policy/.test(error.expected)
  ) {
    write(error.message);
    return EXIT.USAGE;
  }
  if (
    InvalidArgumentError.isInstance(error) ||
    NoBackendSatisfiesError.isInstance(error) ||
    UnsupportedCapabilityError.isInstance(error)
  ) {
    write(error.message);
    return EXIT.CONFIG;
  }
  if (LockBackendError.isInstance(error)) {
    write(error.message);
    // A backend package that is missing is a setup problem, not an outage.
    if (error.operation !== 'load') return EXIT.BACKEND;
    process.stderr.write(
      "  (lock looks for backend packages beside itself, then in the node_modules of the configuration file's directory and of the working directory)\n",
    );
    return EXIT.CONFIG;
  }
  if (LockTimeoutError.isInstance(error)) {
    write(error.message);
    return EXIT.TIMEOUT;
  }
  if (LockLostError.isInstance(error)) {
    write(error.message);
    return EXIT.LOST;
  }
  if (LockError.isInstance(error)) {
    write(error.message);
    return EXIT.BACKEND;
  }
  write(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return EXIT.INTERNAL;
}
