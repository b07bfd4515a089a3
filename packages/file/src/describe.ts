import { readFileSync } from 'node:fs';
import type { ProviderDescription } from '@lock/core';
import { lockMechanism } from './kernel/kernel-lock.js';
import type { LockTable } from './state/lock-table.js';

/** File systems whose locks are not a local kernel's: a lock there may not exclude other machines' processes, or may fail. */
const NETWORK_FILE_SYSTEMS = /^(nfs\d*|cifs|smb\d*|smbfs|9p|fuse\.sshfs|glusterfs|ceph|afs|lustre)$/;

/** What `FileProvider.describe()` reports. */
export interface FileProviderDescription extends ProviderDescription {
  readonly details: {
    /** The lock directory. */
    readonly directory: string;
    /** How the kernel lock is taken on this platform. */
    readonly mechanism: string;
    /** The file system type of the directory (Linux), or null when unknown. */
    readonly fileSystem: string | null;
  };
}

/**
 * The lock in words, for `lock explain` and `lock status`: the mechanism and the directory (checked, created
 * if missing: a refused directory rejects with its `LockBackendError`), and a warning when the directory is on
 * a network file system, where a lock may be unsupported or local to one machine.
 * @internal
 */
export function describeFileLocks(table: LockTable): FileProviderDescription {
  table.ensureDirectory();
  const mechanism = lockMechanism();
  const fileSystem = fileSystemOf(table.directory);
  const warnings =
    fileSystem !== null && NETWORK_FILE_SYSTEMS.test(fileSystem)
      ? [
          `${table.directory} is on a network file system (${fileSystem}): its locks may be unsupported, or exclude only this machine's processes; use a local directory`,
        ]
      : [];
  return {
    server: `kernel file locks (${mechanism}) in ${table.directory}`,
    warnings,
    details: { directory: table.directory, mechanism, fileSystem },
  };
}

/** The type of the file system mounted at the longest mount point above `path`, from /proc/self/mountinfo. */
function fileSystemOf(path: string): string | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  let best: { mountPoint: string; type: string } | undefined;
  for (const line of text.split('\n')) {
    // id parent major:minor root mount-point options [optional...] - type source super-options
    const [left, right] = line.split(' - ');
    const mountPoint = left?.split(' ')[4]?.replace(/\\040/g, ' ');
    const type = right?.split(' ')[0];
    if (mountPoint === undefined || type === undefined) continue;
    const inside = path === mountPoint || path.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length))
      best = { mountPoint, type };
  }
  return best?.type ?? null;
}
