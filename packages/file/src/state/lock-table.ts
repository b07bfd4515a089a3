import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { type Capabilities, type LockOwner, ProviderClosedError } from '@lock/core';
import { ensureLockDirectory } from '../directory/lock-directory.js';
import { LockFile } from '../lock-file/lock-file.js';
import { HEADER_SIZE } from '../lock-file/lock-file-header.js';
import { gateFileName, lockFileName } from '../lock-file/lock-file-name.js';
import { DirectoryWatch } from './directory-watch.js';
import { checkFile } from './lose-holder.js';
import { NameState } from './name-state.js';

/** Idle names whose lock file stays open, so the next acquisition of a recent name opens nothing. */
const IDLE_FILES = 64;

/**
 * The lock names of one provider: their states, their open lock files (kept for the most recent idle names,
 * closed beyond that), the lock directory (checked on first use and again when it vanished) and its watch.
 * The operations on a name live in files of their own (take, wait, release, lose); this is where they meet.
 * @internal
 */
export class LockTable {
  /** Every name with a holder, waiters or an open file. */
  readonly states = new Map<string, NameState>();
  /** Idle names with an open file, least recently used first. */
  private readonly idleFiles = new Map<string, NameState>();
  private readonly byFileName = new Map<string, NameState>();
  /** Scratch buffer of the header read and written at every grant (one thread, so one buffer). */
  readonly header = Buffer.allocUnsafe(HEADER_SIZE);
  private directoryIdentity: string | undefined;
  private readonly watch: DirectoryWatch;

  constructor(
    /** The lock directory. */
    readonly directory: string,
    /** The provider, as the owner of its locks. */
    readonly owner: LockOwner,
    /** What its locks declare. */
    readonly capabilities: Capabilities,
  ) {
    this.watch = new DirectoryWatch(directory, (fileName) => this.onRename(fileName));
  }

  /** True once the provider is closed. */
  get closed(): boolean {
    return this.owner.closed;
  }

  /** The path of `name`'s lock file. */
  pathOf(name: string): string {
    return join(this.directory, lockFileName(name));
  }

  /** The state of `name`, made on first use (checking the lock directory the first time). */
  state(name: string): NameState {
    let state = this.states.get(name);
    if (state === undefined) {
      this.ensureDirectory();
      const fileName = lockFileName(name);
      state = new NameState(name, join(this.directory, fileName), fileName);
      this.states.set(name, state);
      this.byFileName.set(fileName, state);
    } else if (this.idleFiles.size > 0) {
      this.idleFiles.delete(name);
    }
    return state;
  }

  /** Checks (and creates) the lock directory once, and again after it vanished. */
  ensureDirectory(): void {
    if (this.directoryIdentity !== undefined) return;
    ensureLockDirectory(this.directory);
    this.directoryIdentity = identityOf(this.directory);
  }

  /** Opens `state`'s lock file; when the directory vanished since it was checked, it is checked again first. */
  openFile(state: NameState): LockFile {
    let file: LockFile;
    try {
      file = LockFile.open(state.path);
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      if (code !== 'ENOENT') throw error;
      this.directoryIdentity = undefined;
      this.ensureDirectory();
      file = LockFile.open(state.path);
    }
    state.file = file;
    return file;
  }

  /**
   * Opens `state`'s turnstile file (`<lock file>` with `.gate` for `.lock`) if it is not open. A kernel waiter
   * process that shares an older one is ended first (it must wait on the file the others use).
   */
  openGate(state: NameState): LockFile {
    if (state.gate !== undefined) return state.gate;
    this.dropKernelWaiter(state);
    const gate = LockFile.open(join(this.directory, gateFileName(state.fileName)));
    state.gate = gate;
    return gate;
  }

  /**
   * Forgets `state`'s lock file and turnstile: kills its kernel waiter (which shares both) and closes them;
   * the lock file stays open while grants of this process still use it (a lost holder's file stays open until
   * its release, so the lease's descriptor never names another file meanwhile).
   */
  dropFile(state: NameState): void {
    this.dropGate(state);
    const file = state.file;
    state.file = undefined;
    if (file !== undefined && file.grants === 0) file.close();
  }

  /**
   * Forgets `state`'s turnstile: kills its kernel waiter and closes the file, which frees a turnstile lock
   * granted to the waiter in the last instant (once the killed process has gone too). The lock file is kept.
   */
  dropGate(state: NameState): void {
    this.dropKernelWaiter(state);
    const gate = state.gate;
    state.gate = undefined;
    gate?.close();
  }

  /** Kills `state`'s kernel waiter process, if it has one. */
  dropKernelWaiter(state: NameState): void {
    clearTimeout(state.lingerTimer);
    state.lingerTimer = undefined;
    state.kernelWait = false;
    state.kernelWaiter?.kill();
    state.kernelWaiter = undefined;
  }

  /** Starts the directory watch (every grant calls it; only the first one in a while does anything). */
  watchDirectory(): void {
    this.watch.ensure();
  }

  /** `state` may have become idle: keep its file among the recent ones, closing the oldest beyond the limit. */
  settle(state: NameState): void {
    if (!state.idle || state.kernelWait) return;
    if (state.file === undefined && state.kernelWaiter === undefined) {
      this.forget(state);
      return;
    }
    this.idleFiles.set(state.name, state);
    if (this.idleFiles.size <= IDLE_FILES) return;
    const [, oldest] = this.idleFiles.entries().next().value as [string, NameState];
    this.dropFile(oldest);
    this.forget(oldest);
  }

  /** The error waiters of a closed provider reject with. */
  closedError(name: string): ProviderClosedError {
    return new ProviderClosedError(this.capabilities.backend, 'acquire', name);
  }

  /** Ends everything (provider close, after its leases were released): waiters, waiter processes, files. */
  close(): void {
    this.watch.close();
    for (const state of this.states.values()) {
      for (let waiter = state.waiters.shift(); waiter !== undefined; waiter = state.waiters.shift()) {
        waiter.reject(this.closedError(state.name));
      }
      this.dropFile(state);
    }
    this.states.clear();
    this.idleFiles.clear();
    this.byFileName.clear();
  }

  private forget(state: NameState): void {
    this.idleFiles.delete(state.name);
    if (this.states.get(state.name) === state) this.states.delete(state.name);
    if (this.byFileName.get(state.fileName) === state) this.byFileName.delete(state.fileName);
  }

  /**
   * A file of the directory was deleted, renamed or created: check the state it belongs to (or, when the
   * event names no file or the directory itself changed, every state).
   */
  private onRename(fileName: string | null): void {
    const directoryChanged = this.directoryIdentity !== identityOf(this.directory);
    if (directoryChanged) {
      this.directoryIdentity = undefined;
      this.watch.close();
    }
    if (fileName === null || directoryChanged) {
      for (const state of [...this.states.values()]) checkFile(this, state);
      return;
    }
    const state = this.byFileName.get(fileName);
    if (state !== undefined) checkFile(this, state);
  }
}

/** Device and inode of a directory, to notice it was replaced or unmounted. */
function identityOf(path: string): string | undefined {
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    return stats === undefined ? undefined : `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}
