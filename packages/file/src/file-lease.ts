import { type InheritableLease, LockNotHeldError, ManagedLease } from '@lock/core';
import type { FileGrant } from './state/file-grant.js';

/**
 * A file lock's lease: a {@link InheritableLease}. The grant lives in the open file description of the lock
 * file, so a child process that inherits `inheritableFd` shares it: the lock stays held while either lives,
 * as `flock(1)` does for the command it runs.
 */
export interface FileLease extends InheritableLease {
  /** The lock file (for messages and `lock status`). */
  readonly path: string;
}

/** @internal */
export class FileManagedLease extends ManagedLease<FileGrant> implements FileLease {
  /**
   * The descriptor of the lock file while the lease is held (pass it to a child's `stdio` to let the child
   * inherit the lock); reading it after release or loss throws `LockNotHeldError`. Never close it yourself.
   */
  get inheritableFd(): number {
    if (!this.held) {
      throw new LockNotHeldError(
        this.name,
        'read inheritableFd of',
        'the lease is no longer held (released or lost)',
      );
    }
    return this.grant.file.fd;
  }

  get path(): string {
    return this.grant.file.path;
  }
}
