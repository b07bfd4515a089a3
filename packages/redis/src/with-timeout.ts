import { CommandTimeoutError } from './command-timeout-error.js';

/**
 * Settles with `operation`, or rejects with a {@link CommandTimeoutError} after `timeoutMs`. The operation
 * itself goes on (ioredis cannot withdraw a queued command): the caller undoes its effect if it matters.
 */
export function withTimeout<T>(operation: Promise<T>, timeoutMs: number, command: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CommandTimeoutError(command, timeoutMs)), timeoutMs);
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
