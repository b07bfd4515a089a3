/**
 * A lock-name pattern from a configuration: `*` matches any run of characters (also none, also `:` and
 * `/`), `?` exactly one; everything else matches itself. Names are matched whole.
 */
export class NamePattern {
  /** The pattern as written. */
  readonly source: string;
  /** How many literal characters it has: the more, the more specific. */
  readonly literalLength: number;
  /** True when the pattern has no wildcard. */
  readonly exact: boolean;
  private readonly regexp: RegExp;

  /** Compiles `source` once; matching a name is then a string comparison or one regular-expression test. */
  constructor(source: string) {
    this.source = source;
    let body = '';
    let literalLength = 0;
    for (const character of source) {
      if (character === '*') body += '[\\s\\S]*';
      else if (character === '?') body += '[\\s\\S]';
      else {
        body += character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        literalLength += character.length;
      }
    }
    this.regexp = new RegExp(`^${body}$`, 'u');
    this.literalLength = literalLength;
    this.exact = !source.includes('*') && !source.includes('?');
  }

  /** Whether `name` matches the whole pattern. */
  matches(name: string): boolean {
    return this.exact ? name === this.source : this.regexp.test(name);
  }

  /**
   * The pattern that governs `name`: an exact match first, then the pattern with the most literal
   * characters, then the first declared. `undefined` when none matches.
   */
  static best(patterns: readonly NamePattern[], name: string): NamePattern | undefined {
    let best: NamePattern | undefined;
    for (const pattern of patterns) {
      if (!pattern.matches(name)) continue;
      if (pattern.exact) return pattern;
      if (best === undefined || pattern.literalLength > best.literalLength) best = pattern;
    }
    return best;
  }
}
