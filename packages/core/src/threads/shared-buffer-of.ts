import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** What a shared-memory handle's buffer must look like. */
export interface SharedBufferShape {
  /** What the handle is, for messages: `a shared mutex`, `a TryLockProvider`. */
  readonly what: string;
  /** The handle's shape in words, for the message when it is not an object: `a SharedMutexHandle { buffer }`. */
  readonly handle: string;
  /** Smallest byte length: the header. */
  readonly minBytes: number;
  /** The first Int32 word of every buffer of this layout and version. */
  readonly magic: number;
}

/**
 * The SharedArrayBuffer of a handle posted by another thread, checked before anything reads it: an object
 * with a `buffer` that is shared (a plain ArrayBuffer would be copied, not shared), at least a header long, and
 * of this layout and version (its first word). Throws `InvalidArgumentError` naming `handle`, `handle.buffer`
 * or `handle.buffer.byteLength`. What the header declares beyond that is the caller's to check.
 */
export function sharedBufferOf(handle: unknown, shape: SharedBufferShape): SharedArrayBuffer {
  if (typeof handle !== 'object' || handle === null) {
    throw new InvalidArgumentError('handle', handle, shape.handle);
  }
  const buffer = (handle as { buffer?: unknown }).buffer;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(
      'handle.buffer',
      buffer,
      'a SharedArrayBuffer (a plain ArrayBuffer is not shared between workers)',
    );
  }
  if (buffer.byteLength < shape.minBytes) {
    throw new InvalidArgumentError(
      'handle.buffer.byteLength',
      buffer.byteLength,
      `at least ${shape.minBytes} bytes: the buffer of ${shape.what} (from .handle)`,
    );
  }
  const magic = new Int32Array(buffer, 0, 1)[0]!;
  if (magic !== shape.magic) {
    throw new InvalidArgumentError(
      'handle.buffer',
      `a buffer whose first word is 0x${(magic >>> 0).toString(16)}`,
      `the buffer of ${shape.what} of this version (from .handle), whose first word is 0x${(shape.magic >>> 0).toString(16)}`,
    );
  }
  return buffer;
}
