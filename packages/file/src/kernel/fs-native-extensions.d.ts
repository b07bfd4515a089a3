// The part of fs-native-extensions (Holepunch) this package calls. The package ships no type declarations.
declare module 'fs-native-extensions' {
  interface LockOptions {
    /** A shared (read) lock instead of an exclusive one. */
    shared?: boolean;
  }
  interface FsNativeExtensions {
    /** Takes the lock on `fd` without waiting: `false` when another open file description holds it. */
    tryLock(fd: number, offset?: number, length?: number, options?: LockOptions): boolean;
    /** Waits for the lock on `fd`, blocking the calling thread. */
    waitForLockSync(fd: number, offset?: number, length?: number, options?: LockOptions): void;
    /** Waits for the lock on `fd` on libuv's thread pool. */
    waitForLock(fd: number, offset?: number, length?: number, options?: LockOptions): Promise<void>;
    /** Releases the lock held through `fd`'s open file description. */
    unlock(fd: number, offset?: number, length?: number): void;
  }
  const extensions: FsNativeExtensions;
  export default extensions;
}
