import { createHash } from 'node:crypto';

/** Longest readable prefix kept from a lock name, in characters. */
const PREFIX_LENGTH = 64;
/** Hex digits of the SHA-256 of the name kept in the file name: 80 bits, no collision in practice. */
const HASH_DIGITS = 20;

/**
 * The file that holds the lock `name` inside the lock directory: a readable prefix (ASCII letters, digits,
 * `.`, `_` and `-` of the name, accents dropped, every other run of characters one `_`, at most 64) and the
 * first 20 hex digits of the SHA-256 of the name's UTF-8, then `.lock`: `orders_42-3f9c…0a.lock`.
 *
 * The hash makes the mapping one-to-one for any name core accepts (`/`, `..`, very long, non-ASCII: distinct
 * names give distinct files, also on a case-insensitive file system, since the hash is lowercase hex of the
 * exact name), and the prefix can never be a path: it has no `/`, never starts with `.` and is never empty
 * of the hash. This is a format other processes rely on: changing it splits one lock into two.
 */
export function lockFileName(name: string): string {
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_DIGITS);
  const prefix = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, PREFIX_LENGTH)
    .replace(/_+$/, '');
  return prefix === '' ? `${hash}.lock` : `${prefix}-${hash}.lock`;
}

/**
 * The turnstile file of the lock whose file is `lockFile` (a {@link lockFileName}): the same name with `.gate`
 * for `.lock`. A writer holds it while it waits, and every reader passes it (and mints its token under it), so
 * a waiting writer holds back readers that come after it. Part of the same on-disk format.
 */
export function gateFileName(lockFile: string): string {
  return `${lockFile.slice(0, -'.lock'.length)}.gate`;
}
