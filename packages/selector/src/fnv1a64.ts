const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/**
 * FNV-1a, 64 bits, over the UTF-8 bytes of `text`. Stable across processes, machines and versions of Node
 * (unlike anything seeded), which is what a name-to-cluster mapping shared by many processes needs.
 */
export function fnv1a64(text: string): bigint {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of encoder.encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash;
}

/**
 * MurmurHash3's 64-bit finalizer. FNV-1a alone barely mixes its last bytes, so names that differ only at the
 * end ("order:1", "order:2") would get correlated weights; this spreads every input bit over the output.
 */
export function mix64(value: bigint): bigint {
  let mixed = value & MASK_64;
  mixed ^= mixed >> 33n;
  mixed = (mixed * 0xff51afd7ed558ccdn) & MASK_64;
  mixed ^= mixed >> 33n;
  mixed = (mixed * 0xc4ceb9fe1a85ec53n) & MASK_64;
  mixed ^= mixed >> 33n;
  return mixed;
}
