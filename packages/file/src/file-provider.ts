import {
  BaseProvider,
  type Capabilities,
  type LockOptions,
  parseSettings,
  type ReadWriteLock,
  validateLockName,
} from '@lock/core';
import { describeFileLocks, type FileProviderDescription } from './describe.js';
import { defaultLockDirectory } from './directory/lock-directory.js';
import { fileCapabilities } from './file-capabilities.js';
import { FileLock } from './file-lock.js';
import { type FileProviderConfig, fileSettings } from './file-settings.js';
import { LockTable } from './state/lock-table.js';
import { type FileLockStatus, readStatus } from './status/read-status.js';

/** Options of a {@link FileProvider}: the `file` kind's settings. */
export type FileProviderOptions = FileProviderConfig;

/**
 * Host-wide locks with no server: each name is a kernel lock on a file in the lock directory, shared by every
 * process of this machine (and user) that uses the directory. Cheap to make and to keep: nothing is opened
 * until the first acquisition. Close it to end its leases and waiter processes.
 *
 * @example
 * ```ts
 * const provider = new FileProvider();
 * await provider.lock('nightly-backup').withLock(async (lease) => runBackup(lease.token));
 * ```
 */
export class FileProvider extends BaseProvider<FileLock> {
  readonly capabilities: Capabilities;
  /** The lock directory. */
  readonly directory: string;
  private readonly table: LockTable;

  /**
   * Checks the options before any I/O (`InvalidConfigError`, an `InvalidArgumentError` naming
   * `options.directory`, in the words of the settings schema). The directory is checked, and created, at the
   * first acquisition (or `status`, `describe`).
   */
  constructor(options: FileProviderOptions = {}) {
    super();
    const settings = parseSettings(fileSettings, options, 'options');
    this.capabilities = fileCapabilities(settings);
    this.directory = settings.directory ?? defaultLockDirectory();
    this.table = new LockTable(this.directory, this, this.capabilities);
  }

  /** The lock file of `name`: `<directory>/<readable prefix>-<hash>.lock`. */
  pathOf(name: string): string {
    validateLockName(name);
    return this.table.pathOf(name);
  }

  /**
   * Who holds `name` (with the pid written by the process that took the grant, and its token) and who waits,
   * as far as can be known without taking the lock; see the README. Rejects with `LockBackendError` when the
   * directory is refused or the file cannot be read.
   */
  async status(name: string): Promise<FileLockStatus> {
    validateLockName(name);
    this.assertOpen('status', name);
    return readStatus(this.table, name);
  }

  /** The mechanism and the directory, for `lock explain` (rejects when the directory is refused). */
  async describe(): Promise<FileProviderDescription> {
    return describeFileLocks(this.table);
  }

  protected createLock(name: string, options: LockOptions | undefined): FileLock {
    return new FileLock(name, options, this.table);
  }

  /**
   * The read-write lock of `name`: `write` is `lock(name)` (the same kernel lock, so each excludes the other),
   * `read` takes the kernel's shared lock on the same file after passing the name's turnstile.
   */
  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    return {
      name,
      read: new FileLock(name, options, this.table, 'shared'),
      write: new FileLock(name, options, this.table, 'exclusive'),
    };
  }

  protected async closeBackend(): Promise<void> {
    this.table.close();
  }
}
