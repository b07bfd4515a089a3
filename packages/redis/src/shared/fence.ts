/**
 * The token in a reply of the acquire script, or in a waiter's list: an integer reply below 2^53 (exact as a
 * Lua double and as a JavaScript number), text from 2^53 on (a Lua number would round it: the script reads the
 * counter back as text). `undefined` when the reply is not a token (0: held, or queued).
 */
export function grantedToken(reply: unknown): bigint | undefined {
  if (typeof reply === 'number') return reply > 0 ? BigInt(reply) : undefined;
  return typeof reply === 'string' ? BigInt(reply) : undefined;
}
