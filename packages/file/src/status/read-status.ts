import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LockBackendError, type LockParticipant, type LockStatus } from '@lock/core';
import extensions from 'fs-native-extensions';
import { lockMechanism } from '../kernel/kernel-lock.js';
import { HEADER_SIZE, PID_OFFSET } from '../lock-file/lock-file-header.js';
import { gateFileName, lockFileName } from '../lock-file/lock-file-name.js';
import type { LockTable } from '../state/lock-table.js';
import type { NameState } from '../state/name-state.js';
import { kernelLocksOf } from './proc-locks.js';

/** A holder or waiter of a file lock: its process. */
export interface FileLockParticipant extends LockParticipant {
  /** The process id: a holder's as written in the lock file by the process that took the grant. */
  readonly pid: number | null;
}

/** What a file lock's status says in its own terms. */
export interface FileLockStatusDetails extends Readonly<Record<string, unknown>> {
  /** The lock file. */
  readonly path: string;
  /** How the kernel lock is taken here. */
  readonly mechanism: string;
  /** Whether this process holds the lock. */
  readonly heldHere: boolean;
  /** Acquisitions of this process waiting in line. */
  readonly waitingHere: number;
  /** Processes waiting in the kernel (one per waiting process), or null where the kernel does not say. */
  readonly waitingProcesses: number | null;
  /**
   * Whether the holder's process is still running (null when free or unknown). `false` with the lock held:
   * a child that inherited the lock holds it (`lock run` whose `lock` process died; the command still runs).
   */
  readonly holderRunning: boolean | null;
}

/** `provider.status(name)` of a file lock. */
export type FileLockStatus = LockStatus<FileLockStatusDetails, FileLockParticipant>;

/**
 * Who holds `name` and who waits, as far as can be known without taking the lock: whether it is held comes
 * from this process's own state, else from the kernel's lock table (`/proc/locks` on Linux) or, where there is
 * none, from a shared lock tried and dropped at once on a descriptor of its own (a probe: an exclusive
 * `tryAcquire` elsewhere at that instant can fail). The holder's pid and the token come from the file, waiters
 * of other processes from the kernel (one per process: their own lines are not visible).
 * @internal
 */
export function readStatus(table: LockTable, name: string): FileLockStatus {
  table.ensureDirectory();
  const path = table.pathOf(name);
  const local = table.states.get(name);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw statusFailure(name, path, error);
    return free(name, path, local?.waiters.size ?? 0);
  }
  try {
    const header = Buffer.alloc(HEADER_SIZE);
    const bytes = readSync(fd, header, 0, HEADER_SIZE, 0);
    const lastToken = bytes >= PID_OFFSET ? header.readBigUInt64LE(0) : null;
    const pid = bytes >= HEADER_SIZE ? header.readUInt32LE(PID_OFFSET) : null;
    const stats = fstatSync(fd);
    const kernel = kernelLocksOf(stats.dev, stats.ino);
    const heldHere = local?.holding === true;
    const held = heldHere || (kernel !== undefined ? kernel.granted.length > 0 : probeHeld(fd));
    const waitingHere = local?.waiters.size ?? 0;
    const gateBlocked = kernel === undefined ? 0 : gateWaiters(table, name);
    const waitingProcesses = kernel === undefined ? null : kernel.blocked + gateBlocked;
    const ourKernelWait = local?.kernelWait === true && kernel !== undefined ? 1 : 0;
    const holderPid = heldHere ? process.pid : pid;
    const holders = heldHere
      ? localHolders(local!)
      : held
        ? [otherHolder(kernel?.granted, holderPid, lastToken)]
        : [];
    return {
      name,
      holders: withGrantAge(holders, lastToken, stats.mtimeMs),
      waiters: Array.from({ length: waitingHere }, (_, index) => ({
        id: `pid ${process.pid} #${index + 1}`,
        token: null,
        pid: process.pid,
      })),
      waiterCount: waitingHere + (waitingProcesses ?? 0) - ourKernelWait,
      lastToken,
      details: {
        path,
        mechanism: lockMechanism(),
        heldHere,
        waitingHere,
        waitingProcesses,
        holderRunning: held && holderPid !== null ? running(holderPid) : null,
      },
    };
  } catch (error) {
    throw statusFailure(name, path, error);
  } finally {
    closeSync(fd);
  }
}

/**
 * Every grant writes its token into the file, and nothing else writes there, so the file's modification time
 * is when the latest grant was taken (the kernel's wall clock, this host's): its holder, the one whose token is
 * the file's, gets the age since then. An earlier reader still holding has no time recorded.
 */
function withGrantAge(
  holders: FileLockParticipant[],
  lastToken: bigint | null,
  grantedAtMs: number,
): FileLockParticipant[] {
  const ageMs = Math.max(0, Date.now() - grantedAtMs);
  return holders.map((holder) =>
    lastToken !== null && holder.token === lastToken ? { ...holder, ageMs } : holder,
  );
}

/** This process's holders: its exclusive grant, or each of its readers. */
function localHolders(state: NameState): FileLockParticipant[] {
  const grants = state.holder !== undefined ? [state.holder] : [...state.readers];
  return grants.map((grant, index) => ({
    id: grant.exclusive ? `pid ${process.pid}` : `pid ${process.pid} reader #${index + 1}`,
    token: grant.token,
    mode: grant.exclusive ? 'exclusive' : 'shared',
    pid: process.pid,
  }));
}

/**
 * Another process's holder, as far as the kernel and the file say: shared when the kernel lists only read
 * locks (the pid and token are those of the latest grant, which may be another reader's).
 */
function otherHolder(
  granted: readonly ('read' | 'write')[] | undefined,
  pid: number | null,
  lastToken: bigint | null,
): FileLockParticipant {
  const mode = granted === undefined ? undefined : granted.includes('write') ? 'exclusive' : 'shared';
  return { id: pid === null ? 'unknown' : `pid ${pid}`, token: lastToken, mode, pid };
}

/** Requests blocked in the kernel on the name's turnstile (writers and readers waiting to pass it). */
function gateWaiters(table: LockTable, name: string): number {
  const path = join(table.directory, gateFileName(lockFileName(name)));
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return 0;
  return kernelLocksOf(stats.dev, stats.ino)?.blocked ?? 0;
}

function free(name: string, path: string, waitingHere: number): FileLockStatus {
  return {
    name,
    holders: [],
    waiters: [],
    waiterCount: waitingHere,
    lastToken: null,
    details: {
      path,
      mechanism: lockMechanism(),
      heldHere: false,
      waitingHere,
      waitingProcesses: null,
      holderRunning: null,
    },
  };
}

/** Where the kernel keeps no table to read: try a shared lock on our own descriptor and drop it at once. */
function probeHeld(fd: number): boolean {
  if (!extensions.tryLock(fd, 0, 0, { shared: true })) return true;
  extensions.unlock(fd, 0, 0);
  return false;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function statusFailure(name: string, path: string, error: unknown): LockBackendError {
  if (LockBackendError.isInstance(error)) return error;
  return new LockBackendError('file', 'status', {
    lockName: name,
    cause: error,
    detail: `${path}: ${error instanceof Error ? error.message : String(error)}`,
  });
}
