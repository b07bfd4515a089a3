import { InvalidArgumentError } from '@lock/core';
import { expect } from 'vitest';

/** The `InvalidArgumentError` that `run` throws; fails the test when it throws something else or nothing. */
export function invalidArgument(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}
