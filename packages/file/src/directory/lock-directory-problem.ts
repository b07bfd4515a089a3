/** What is wrong with a lock directory. */
export type LockDirectoryProblemKind =
  | 'cannot-create'
  | 'symlink'
  | 'not-a-directory'
  | 'foreign-owner'
  | 'group-or-other-writable'
  | 'not-writable';

/**
 * Why a lock directory was refused (the `cause` of the `LockBackendError` an acquisition rejects with): the
 * path, what is wrong with it, and how to fix it. A lock directory is trusted with every lock of a user, so
 * it must be a real directory (not a link) that the user owns and nobody else can write to.
 */
export class LockDirectoryProblem extends Error {
  constructor(
    /** The directory. */
    readonly path: string,
    /** What is wrong with it. */
    readonly problem: LockDirectoryProblemKind,
    /** What to do about it, in words. */
    readonly fix: string,
    what: string,
    cause?: unknown,
  ) {
    super(`${path} ${what}; ${fix}`, cause === undefined ? undefined : { cause });
    this.name = 'LockDirectoryProblem';
  }
}
