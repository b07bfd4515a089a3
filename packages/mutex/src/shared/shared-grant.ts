import type { Grant } from '@lock/core';
import type { SlotRuntime } from './slot-runtime.js';

/** One grant of a shared mutex. @internal */
export class SharedGrant implements Grant {
  constructor(
    readonly token: bigint,
    readonly ticket: number,
    readonly runtime: SlotRuntime,
    /** True when the previous holder's thread died while holding the lock (the lock was recovered). */
    readonly previousOwnerDied: boolean,
  ) {}
}

/** Returned instead of a grant when the slot no longer serves the asker's name: look it up again. @internal */
export const MOVED = Symbol('moved');
