import { randomBytes } from 'node:crypto';

/**
 * Owner ids: a random per-process prefix (96 bits) and a counter. Unique across processes and grants, and
 * cheaper than fresh random bytes per acquisition; the id is an identity, not a secret.
 */
const OWNER_PREFIX = randomBytes(12).toString('base64url');
let ownerCounter = 0;

/** A new owner id: the value a grant stores in the lock key, and the name of a queue entry. */
export function newOwnerId(): string {
  ownerCounter += 1;
  return `${OWNER_PREFIX}${ownerCounter.toString(36)}`;
}
