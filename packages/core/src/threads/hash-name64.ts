/**
 * FNV-1a, 64 bits, over the UTF-16 code units of `name`, in 32-bit halves (no BigInt per character): the
 * slot key of a name in a shared-memory table. Stable for a given name, but a table layout, not a wire format:
 * a value may be reserved by the table (0 for a free slot), which maps it to another.
 */
export function hashName64(name: string): bigint {
  let low = 0x84222325 >>> 0;
  let high = 0xcbf29ce4 >>> 0;
  for (let index = 0; index < name.length; index++) {
    low ^= name.charCodeAt(index);
    // Multiply the 64-bit (high, low) by the FNV prime 0x100000001b3 in 32-bit halves.
    const lowProduct = Math.imul(low, 0x1b3);
    const carry = Math.floor(((low >>> 0) * 0x1b3) / 2 ** 32);
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + carry) >>> 0;
    low = lowProduct >>> 0;
  }
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}
