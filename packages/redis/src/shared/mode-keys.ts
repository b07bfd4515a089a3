import { baseKey, type LockKeys } from './lock-keys.js';

/** The Redis keys of a name's read-write lock or semaphore; see `mode-scripts.ts` for what each holds. */
export interface ModeKeys extends LockKeys {
  /** Holders (sorted set by expiry); `lock` is the same key, the stem of the waiters' lists. */
  readonly holders: string;
  /** Holders' kind, the semaphore's permits, each holder's token (hash). */
  readonly state: string;
}

/** Which primitive of a name the keys are for: the read-write lock or the semaphore. */
export type ModePrimitive = 'rw' | 'sem';

/**
 * Builds the keys of a name's read-write lock (`rw`) or semaphore (`sem`): `<base>:rw`, `<base>:rw:q`, ... beside
 * the exclusive lock's `<base>`, so the three primitives of one name are separate locks that share the name's
 * fence counter (`<base>:fence`, tokens strictly increasing across all of them) and its cluster slot.
 */
export function modeKeys(prefix: string, name: string, primitive: ModePrimitive): ModeKeys {
  const base = baseKey(prefix, name);
  const holders = `${base}:${primitive}`;
  const fence = `${base}:fence`;
  const queue = `${holders}:q`;
  const deadlines = `${holders}:qd`;
  const state = `${holders}:s`;
  return {
    lock: holders,
    holders,
    fence,
    queue,
    deadlines,
    state,
    all: [holders, fence, queue, deadlines, state],
    extend: [holders, fence, state],
  };
}
