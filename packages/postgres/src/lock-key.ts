import { createHash } from 'node:crypto';

/**
 * The advisory lock key of a name: the first 8 bytes of SHA-256 over the UTF-8 of `namespace`, a NUL and
 * `name`, read as a signed big-endian 64-bit integer (PostgreSQL's `bigint`). Stable across versions,
 * processes and languages, so anything that computes it the same way takes the same lock:
 *
 * ```sql
 * SELECT ('x' || left(encode(sha256(convert_to(:namespace, 'UTF8') || '\x00'::bytea || convert_to(:name, 'UTF8')), 'hex'), 16))::bit(64)::bigint;
 * ```
 *
 * Two distinct names share a key with probability about n² / 2⁶⁵ for n names in one namespace (one in 10¹¹
 * for a million names); names that share a key are one lock (never two holders, only needless waiting).
 */
export function advisoryKey(namespace: string, name: string): bigint {
  const digest = createHash('sha256').update(`${namespace}\0${name}`, 'utf8').digest();
  return digest.readBigInt64BE(0);
}
