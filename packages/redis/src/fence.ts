/**
 * The token in a reply of the acquire script (or in a waiter's list): the scripts send the fence counter as
 * text, because a Lua number is a double and exact only up to 2^53, while the counter is a 64-bit integer.
 * `undefined` when the reply is not a token (0: held, or queued).
 */
export function grantedToken(reply: unknown): bigint | undefined {
  return typeof reply === 'string' ? BigInt(reply) : undefined;
}
