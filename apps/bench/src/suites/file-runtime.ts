// The file suite's peers and packages, loaded when the suite runs and not before (as for every suite): `bench
// mutex` must run without them. The raw floor calls the same binding @lock/file uses, resolved from
// @lock/file's own location (it is that package's dependency, not the bench's).
import { createRequire } from 'node:module';
import type * as LockFile from '@lock/file';
import type * as ProperLockfile from 'proper-lockfile';

const load = (specifier: string): Promise<unknown> => import(specifier);

/** The calls of fs-native-extensions the floor makes. */
export interface RawLocks {
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

/** Runtime modules of the file suite, and their paths for the child processes. */
export interface FileRuntime {
  FileProvider: typeof LockFile.FileProvider;
  lockfile: typeof ProperLockfile;
  raw: RawLocks;
  /** Absolute entries, for child processes started with `node -e`. */
  paths: { lockFile: string; properLockfile: string };
}

let cached: Promise<FileRuntime> | undefined;

export function fileRuntime(): Promise<FileRuntime> {
  cached ??= (async () => {
    const require = createRequire(import.meta.url);
    const lockFilePath = require.resolve('@lock/file');
    const properLockfilePath = require.resolve('proper-lockfile');
    const [lockFile, properLockfile] = (await Promise.all([load('@lock/file'), load('proper-lockfile')])) as [
      typeof LockFile,
      { default?: typeof ProperLockfile } & typeof ProperLockfile,
    ];
    const raw = createRequire(lockFilePath)('fs-native-extensions') as RawLocks;
    return {
      FileProvider: lockFile.FileProvider,
      lockfile: properLockfile.default ?? properLockfile,
      raw,
      paths: { lockFile: lockFilePath, properLockfile: properLockfilePath },
    };
  })();
  return cached;
}
