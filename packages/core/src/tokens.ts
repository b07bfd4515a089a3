import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { FencingToken } from './types.js';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a fencing token from its decimal text (as etcd revisions and ZooKeeper zxids arrive, or as a token
 * travels in an HTTP header or environment variable). Rejects anything that is not a non-negative decimal
 * integer, so a malformed token never compares as something it is not.
 */
export function parseToken(text: unknown, parameter = 'token'): FencingToken {
  if (typeof text === 'bigint' && text >= 0n) return text;
  if (typeof text !== 'string' || !DECIMAL.test(text)) {
    throw new InvalidArgumentError(parameter, text, 'a non-negative decimal integer string');
  }
  return BigInt(text);
}

/** Orders two fencing tokens as bigints: negative if `a < b`, zero if equal, positive if `a > b`. */
export function compareTokens(a: FencingToken, b: FencingToken): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}
