/** Picks lock-name indices: uniform, or Zipf-distributed (`--hot`: index k with probability ∝ 1/(k+1)). */
export function namePicker(names: number, hot: boolean, seed: number): () => number {
  const random = mulberry32(seed);
  if (!hot || names === 1) return () => Math.floor(random() * names);
  const cumulative = new Float64Array(names);
  let total = 0;
  for (let index = 0; index < names; index++) {
    total += 1 / (index + 1);
    cumulative[index] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = names - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same picks. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
