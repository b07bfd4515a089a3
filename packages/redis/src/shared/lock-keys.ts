/** The Redis keys of one lock; see `scripts.ts` for what each holds. */
export interface LockKeys {
  /** Owner id of the current grant. */
  readonly lock: string;
  /** Fence counter (kept after release so tokens keep increasing). */
  readonly fence: string;
  /** Waiter queue (sorted set). */
  readonly queue: string;
  /** Waiter deadlines (hash). */
  readonly deadlines: string;
  /** The `KEYS` of the acquire and release scripts, in order (the four above for an exclusive lock). */
  readonly all: readonly string[];
  /** The `KEYS` of the extend script (lock and fence for an exclusive lock). */
  readonly extend: readonly string[];
}

/**
 * Builds a lock's key names: `prefix + '{' + escaped name + '}'`. The braces are a cluster hash tag, so all
 * of a lock's keys (and its waiters' lists) share one slot; `%`, `{` and `}` in the name are percent-escaped
 * so a name can neither break out of the tag nor collide with another lock's suffixed keys.
 */
export function lockKeys(prefix: string, name: string): LockKeys {
  const base = baseKey(prefix, name);
  const fence = `${base}:fence`;
  const queue = `${base}:q`;
  const deadlines = `${base}:qd`;
  return { lock: base, fence, queue, deadlines, all: [base, fence, queue, deadlines], extend: [base, fence] };
}

/** `prefix + '{' + escaped name + '}'`: the exclusive lock's key, and the stem of every key of the name. */
export function baseKey(prefix: string, name: string): string {
  return `${prefix}{${name.replace(/[%{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
}

/** The list a waiter BLPOPs on; the scripts build the same name (`KEYS[1]..':w:'..owner`). */
export function waiterKey(keys: LockKeys, owner: string): string {
  return `${keys.lock}:w:${owner}`;
}

/** Escapes glob characters for `SCAN MATCH`. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
