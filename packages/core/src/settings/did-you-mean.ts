/**
 * The known key closest to a misspelt one (`timeout` -> `timeoutMs`, `ttl` -> `ttlMs`), or undefined when
 * none is close: a key that contains or is contained in a known one, else the smallest edit distance within
 * a third of the key's length.
 */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  const contained = known.filter((key) => {
    const candidate = key.toLowerCase();
    return candidate.startsWith(lower) || lower.startsWith(candidate);
  });
  if (contained.length > 0) return contained.sort((a, b) => a.length - b.length)[0];
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(unknown.length / 3)) + 1;
  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase());
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * What an unknown key is reported with: `a known key; did you mean \`timeoutMs\`? (known: ...)`. The words of
 * every unknown-key error, for options objects and configuration sections alike.
 */
export function unknownKeyExpected(unknown: string, known: readonly string[], noun = 'key'): string {
  const hint = closestKey(unknown, known);
  const list = known.length > 0 ? known.map((key) => `\`${key}\``).join(', ') : 'none';
  return hint === undefined
    ? `a known ${noun} (known: ${list})`
    : `a known ${noun}; did you mean \`${hint}\`? (known: ${list})`;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
