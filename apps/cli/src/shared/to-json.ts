/**
 * JSON for the `--json` outputs: bigints (fencing tokens, revisions, lease ids) as decimal strings, since
 * JSON numbers lose precision above 2^53.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item), 2);
}
