import type { Grant, LoseGrant } from '@lock/core';
import type { LockFile } from '../lock-file/lock-file.js';
import type { NameState } from './name-state.js';

/**
 * One grant of a file lock (exclusive or shared): the name's state, the open lock file whose open file description holds the
 * kernel lock, and the token minted for it. Its identity is the ownership proof: a release compares the
 * object, so a stale lease never frees a later holder.
 * @internal
 */
export class FileGrant implements Grant {
  /** Set by the lease while it is held: how the directory watch reports a deleted or replaced file. */
  lose: LoseGrant | undefined = undefined;

  constructor(
    readonly state: NameState,
    readonly file: LockFile,
    readonly token: bigint,
    /** An exclusive grant (`lock(name)`, a write) or a shared one (a read). */
    readonly exclusive: boolean = true,
  ) {
    file.grants++;
  }
}
