import { type LockError, PermitsMismatchError } from '@lock/core';
import { type LockKeys, lockKeys } from '../shared/lock-keys.js';
import { modeKeys } from '../shared/mode-keys.js';
import {
  ACQUIRE_MODE,
  EXTEND_MODE,
  type GrantKind,
  KIND_PERMIT,
  RELEASE_MODE,
} from '../shared/mode-scripts.js';
import { ACQUIRE, EXTEND, type LockScript, RELEASE } from '../shared/scripts.js';

/**
 * Which scripts and keys a lock handle runs: the exclusive lock's, or a read-write lock's or semaphore's (the
 * mode scripts). Both speak one protocol (acquire modes, release flags and outcomes, waiter lists), so
 * acquire, wait, release, leave and extend are written once for all three primitives.
 */
export interface LockProtocol {
  /** The keys of a name for this primitive. */
  keys(prefix: string, name: string): LockKeys;
  readonly acquire: LockScript;
  readonly release: LockScript;
  readonly extend: LockScript;
  /** Appended to the acquire script's ARGV (the grant's kind and a semaphore's permits). */
  readonly acquireArgs: ReadonlyArray<string | number>;
  /** The error an acquire reply stands for when it is neither a token nor NOT_GRANTED, else undefined. */
  refusal(reply: unknown, lockName: string): LockError | undefined;
}

function noRefusal(): undefined {
  return undefined;
}

/** The exclusive lock of `provider.lock(name)`. */
export const EXCLUSIVE: LockProtocol = {
  keys: lockKeys,
  acquire: ACQUIRE,
  release: RELEASE,
  extend: EXTEND,
  acquireArgs: [],
  refusal: noRefusal,
};

/**
 * One side of a read-write lock (KIND_READ, KIND_WRITE) or a semaphore's permit (KIND_PERMIT, with its
 * `permits`). The acquire script answers a semaphore's mismatch with minus the permits already in use.
 */
export function modeProtocol(kind: GrantKind, permits = 0): LockProtocol {
  const primitive = kind === KIND_PERMIT ? 'sem' : 'rw';
  return {
    keys: (prefix, name) => modeKeys(prefix, name, primitive),
    acquire: ACQUIRE_MODE,
    release: RELEASE_MODE,
    extend: EXTEND_MODE,
    acquireArgs: [kind, permits],
    refusal: (reply, lockName) =>
      typeof reply === 'number' && reply < 0
        ? new PermitsMismatchError(lockName, permits, -reply)
        : undefined,
  };
}
