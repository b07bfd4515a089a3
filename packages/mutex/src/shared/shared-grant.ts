import type { Grant } from '@lock/core';
import type { SlotRuntime } from './slot-runtime.js';

/** One grant of a shared mutex. @internal */
export class SharedGrant implements Grant {
  /** For a shared grant (reader, permit): true until it is released. */
  active = true;
  constructor(
    readonly token: bigint,
    /** The head ticket an exclusive grant holds (unused by a shared grant, which holds none). */
    readonly ticket: number,
    readonly runtime: SlotRuntime,
    /** True when the previous holder's thread died while holding the lock (the lock was recovered). */
    readonly previousOwnerDied: boolean,
    /** A reader's or a permit's grant: counted in its thread's share entry, holding no ticket. */
    readonly shared = false,
  ) {}
}

/** Returned instead of a grant when the slot no longer serves the asker's name: look it up again. @internal */
export const MOVED = Symbol('moved');
