import { readSync, writeSync } from 'node:fs';
import { LockBackendError } from '@lock/core';
import type { LockFile } from './lock-file.js';

/**
 * The first bytes of a lock file, written by each holder while it holds the lock:
 *
 * | offset | size | content |
 * | --- | --- | --- |
 * | 0 | 8 | the latest fencing token of the name, unsigned 64-bit little-endian |
 * | 8 | 4 | the process id of the holder that minted it, unsigned 32-bit little-endian |
 *
 * A new (empty) file reads as token 0 and no pid. Nothing else is ever written: a release leaves the bytes
 * as they are, so `lastToken` survives the holder.
 */
export const TOKEN_OFFSET = 0;
/** Where the holder's pid is. */
export const PID_OFFSET = 8;
/** Bytes of the header. */
export const HEADER_SIZE = 12;

/**
 * A new counter starts at the wall clock in ms times this: room for 1024 grants per ms before the counter
 * runs ahead of the clock, so a name whose file was lost (a runtime directory is emptied at boot) starts
 * above every token given before, as long as the clock did not step back by more than the counter had run
 * ahead of it.
 */
export const CLOCK_SCALE = 1024n;
/** Tokens stay below 2^63, so they are positive as signed 64-bit integers too (databases, Java). */
export const MAX_TOKEN = (1n << 63n) - 1n;

/** What a lock file's header says. */
export interface LockFileHeader {
  /** The latest token minted for the name, or `null` when none was (an empty file). */
  readonly token: bigint | null;
  /** The pid of the process that minted it, or `null`. */
  readonly pid: number | null;
}

/** Reads the header (two fields, one read). @internal */
export function readHeader(file: LockFile, buffer: Buffer = Buffer.allocUnsafe(HEADER_SIZE)): LockFileHeader {
  const bytes = readSync(file.fd, buffer, 0, HEADER_SIZE, 0);
  return {
    token: bytes >= PID_OFFSET ? buffer.readBigUInt64LE(TOKEN_OFFSET) : null,
    pid: bytes >= HEADER_SIZE ? buffer.readUInt32LE(PID_OFFSET) : null,
  };
}

/**
 * Mints the next fencing token of the name whose lock `file` holds: the stored token plus one, or the wall
 * clock in ms x {@link CLOCK_SCALE} when that is larger, written back with this process's pid in one write.
 * A file with no token yet (new, or recreated after it was lost) starts at the next millisecond's first
 * token, above anything a lost counter can have minted in this millisecond. `atLeast` is the lowest token
 * acceptable (the caller's own latest token for the name, plus one). Call it only while holding the lock: the
 * read and the write are then one atomic step for every process that follows this protocol, so tokens
 * strictly increase per name across processes.
 *
 * The wall clock (not the monotonic one) on purpose: it is the one clock that keeps counting across a
 * reboot. Taking the larger of the two at every grant also means a write lost in a crash (nothing is
 * fsynced) cannot make a token repeat once the clock has passed it. @internal
 */
export function mintToken(file: LockFile, buffer: Buffer, atLeast = 0n, nowMs: number = Date.now()): bigint {
  const bytes = readSync(file.fd, buffer, 0, PID_OFFSET, TOKEN_OFFSET);
  const stored = bytes === PID_OFFSET ? buffer.readBigUInt64LE(TOKEN_OFFSET) : undefined;
  const fromClock = BigInt(stored === undefined ? nowMs + 1 : nowMs) * CLOCK_SCALE;
  let token = stored === undefined ? fromClock : stored + 1n > fromClock ? stored + 1n : fromClock;
  if (token < atLeast) token = atLeast;
  if (token > MAX_TOKEN) {
    throw new LockBackendError('file', 'mint a fencing token', {
      detail: `${file.path} holds a token of ${stored ?? 0n}, at the end of the 63-bit range; it is not a lock file of this package (remove it)`,
    });
  }
  buffer.writeBigUInt64LE(token, TOKEN_OFFSET);
  buffer.writeUInt32LE(process.pid >>> 0, PID_OFFSET);
  writeSync(file.fd, buffer, 0, HEADER_SIZE, TOKEN_OFFSET);
  return token;
}
