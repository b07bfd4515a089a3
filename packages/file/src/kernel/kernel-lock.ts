import { LockBackendError } from '@lock/core';
import extensions from 'fs-native-extensions';

/**
 * How the kernel lock is taken on this platform, for `describe()` and the README: fs-native-extensions uses
 * open file description locks on Linux, flock(2) on macOS and the BSDs, and LockFileEx on Windows. All three
 * belong to the open file (not to a process or a thread), so a child that inherits the descriptor shares the
 * grant, and the kernel frees it when the last descriptor of that open file closes.
 */
export function lockMechanism(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'linux') return 'open file description locks (fcntl F_OFD_SETLK)';
  if (platform === 'win32') return 'LockFileEx';
  return 'flock(2)';
}

/** Error codes with which a file system says it has no locks (NFS without a lock manager, some FUSE mounts). */
const NO_LOCKS = new Set(['ENOLCK', 'EOPNOTSUPP', 'ENOTSUP', 'ENOSYS', 'EINVAL']);

/**
 * Takes the kernel lock through `fd` without waiting: `true` if this open file description holds it now
 * (also when it already did), `false` if another one holds it. Never blocks and never touches libuv's thread
 * pool: one system call on the calling thread.
 */
export function tryLockFd(fd: number, path: string, exclusive = true): boolean {
  try {
    return extensions.tryLock(fd, 0, 0, exclusive ? undefined : SHARED);
  } catch (error) {
    throw lockFailure('lock', path, error);
  }
}

/** Releases the kernel lock held through `fd`'s open file description (a no-op when it holds none). */
export function unlockFd(fd: number, path: string): void {
  try {
    extensions.unlock(fd, 0, 0);
  } catch (error) {
    throw lockFailure('unlock', path, error);
  }
}

const SHARED = Object.freeze({ shared: true });

/**
 * The error for a lock call that failed: a file system without locks is named as such, with the path and the
 * fix, so "NFS without lockd" is not mistaken for a bug; anything else keeps its code and the path.
 */
export function lockFailure(operation: string, path: string, error: unknown): LockBackendError {
  const code = (error as { code?: unknown } | null)?.code;
  const detail =
    typeof code === 'string' && NO_LOCKS.has(code)
      ? `the file system of ${path} does not support file locks (${code}); put the lock directory on a local file system (the "directory" setting)`
      : `${path}: ${error instanceof Error ? error.message : String(error)}`;
  return new LockBackendError('file', operation, { cause: error, detail });
}
