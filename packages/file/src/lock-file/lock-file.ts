import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { LockBackendError } from '@lock/core';

const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
const FILE_MODE = 0o600;

/**
 * One open lock file: the descriptor whose open file description carries the kernel lock, and the identity
 * (device and inode) of the file it was opened on. The path is checked against that identity after every
 * grant: a file deleted or replaced since it was opened is not the lock anybody else is using.
 * @internal
 */
export class LockFile {
  /** False once closed; a closed descriptor number may already belong to someone else. */
  open = true;
  /** Grants made on this file and not yet released: it is closed only once none is left. */
  grants = 0;

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly dev: number,
    readonly ino: number,
  ) {}

  /**
   * Opens (creating it, mode 0600) the lock file at `path`. A symbolic link there is refused (`O_NOFOLLOW`),
   * so a link planted in the directory cannot make the counter write land in another file; so is anything
   * that is not a regular file.
   */
  static open(path: string): LockFile {
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS, FILE_MODE);
    } catch (error) {
      throw openFailure(path, error);
    }
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw new Error('not a regular file');
      return new LockFile(path, fd, stats.dev, stats.ino);
    } catch (error) {
      closeSync(fd);
      throw new LockBackendError('file', 'open', {
        cause: error,
        detail: `${path} is not a regular file; remove it (it is not a lock file of this package)`,
      });
    }
  }

  /** True while the path names the file this descriptor is open on (not deleted, not replaced). */
  atPath(): boolean {
    try {
      const stats = statSync(this.path, { throwIfNoEntry: false });
      return stats !== undefined && stats.ino === this.ino && stats.dev === this.dev;
    } catch {
      // ENOTDIR, EACCES, ELOOP: whatever is there now, it is not our file.
      return false;
    }
  }

  /** Closes the descriptor once (the kernel then frees a lock no other descriptor of the open file shares). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    try {
      closeSync(this.fd);
    } catch {
      // EBADF cannot happen for a descriptor we own; EIO on close leaves nothing to do.
    }
  }
}

function openFailure(path: string, error: unknown): LockBackendError {
  const code = (error as { code?: unknown } | null)?.code;
  const detail =
    code === 'ELOOP'
      ? `${path} is a symbolic link; a lock file must be a regular file: remove the link`
      : code === 'EACCES' || code === 'EPERM'
        ? `${path} cannot be opened for writing (${code}); it must belong to you (remove it, or fix its owner)`
        : undefined;
  return new LockBackendError('file', 'open', { cause: error, detail });
}
