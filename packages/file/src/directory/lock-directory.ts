import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, type Stats, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { LockBackendError } from '@lock/core';
import { LockDirectoryProblem } from './lock-directory-problem.js';

const DIRECTORY_MODE = 0o700;
const WRITABLE_BY_OTHERS = 0o022;
const SET_DIRECTORY = 'or set "directory" to a directory of your own';

/**
 * Where this user's lock files live when no `directory` is set: `$XDG_RUNTIME_DIR/lock` (a per-user tmpfs on
 * systemd machines, emptied at logout and boot) when that variable names an absolute directory this user owns;
 * otherwise `<os.tmpdir()>/lock-<uid>` (on Windows `<os.tmpdir()>\lock`, already per user). A runtime directory
 * that belongs to someone else (as after `sudo`, which keeps the caller's variable) is not used.
 */
export function defaultLockDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && isAbsolute(runtime) && ownedDirectory(runtime)) return join(runtime, 'lock');
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'lock' : `lock-${uid}`);
}

/**
 * Makes sure `path` is a lock directory this process may trust, creating it (mode 0700) if it is missing:
 * a real directory (not a symbolic link), owned by this user, writable by nobody else, and writable by us.
 * Otherwise throws a `LockBackendError` whose `cause` is a {@link LockDirectoryProblem} naming the path, what
 * is wrong and the fix. On Windows only "a directory we can write to" is checked (no POSIX owner or mode).
 */
export function ensureLockDirectory(path: string): void {
  let stats = lstatOrUndefined(path);
  if (stats === undefined) {
    try {
      mkdirSync(path, { recursive: true, mode: DIRECTORY_MODE });
    } catch (error) {
      refuse(
        new LockDirectoryProblem(
          path,
          'cannot-create',
          `create it yourself (mode 0700), ${SET_DIRECTORY}`,
          `cannot be created (${codeOf(error)})`,
          error,
        ),
      );
    }
    stats = lstatOrUndefined(path);
  }
  const problem = problemOf(path, stats);
  if (problem !== undefined) refuse(problem);
}

function problemOf(path: string, stats: Stats | undefined): LockDirectoryProblem | undefined {
  if (stats === undefined) {
    return new LockDirectoryProblem(path, 'cannot-create', SET_DIRECTORY, 'vanished as it was created');
  }
  if (stats.isSymbolicLink()) {
    const target = readlinkOrUnknown(path);
    return new LockDirectoryProblem(
      path,
      'symlink',
      `remove the link (a link could point into another user's directory), ${SET_DIRECTORY}`,
      `is a symbolic link (to ${target})`,
    );
  }
  if (!stats.isDirectory()) {
    return new LockDirectoryProblem(
      path,
      'not-a-directory',
      `move it away, ${SET_DIRECTORY}`,
      'exists and is not a directory',
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && process.platform !== 'win32') {
    if (stats.uid !== uid) {
      return new LockDirectoryProblem(
        path,
        'foreign-owner',
        `remove it if it is not yours (another user could read or replace your locks), ${SET_DIRECTORY}`,
        `belongs to uid ${stats.uid}, not to this process's uid ${uid}`,
      );
    }
    if ((stats.mode & WRITABLE_BY_OTHERS) !== 0) {
      return new LockDirectoryProblem(
        path,
        'group-or-other-writable',
        `run chmod 700 ${path} (others could delete or replace your lock files), ${SET_DIRECTORY}`,
        `is writable by its group or by others (mode ${(stats.mode & 0o777).toString(8).padStart(3, '0')})`,
      );
    }
  }
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (error) {
    return new LockDirectoryProblem(
      path,
      'not-writable',
      `make it writable (a read-only file system cannot hold locks), ${SET_DIRECTORY}`,
      `cannot be written (${codeOf(error)})`,
      error,
    );
  }
  return undefined;
}

function refuse(problem: LockDirectoryProblem): never {
  throw new LockBackendError('file', 'open the lock directory', { cause: problem, detail: problem.message });
}

function ownedDirectory(path: string): boolean {
  try {
    const stats = statSync(path);
    const uid = process.getuid?.();
    return stats.isDirectory() && (uid === undefined || stats.uid === uid);
  } catch {
    return false;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    // A parent that is not a directory (ENOTDIR) or that we may not search (EACCES).
    refuse(
      new LockDirectoryProblem(
        path,
        'cannot-create',
        SET_DIRECTORY,
        `cannot be looked at (${codeOf(error)})`,
        error,
      ),
    );
  }
}

function readlinkOrUnknown(path: string): string {
  try {
    return JSON.stringify(readlinkSync(path));
  } catch {
    return 'somewhere unknown';
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(error);
}
