/**
 * Redaction: a password, a private key or a token is used, never shown. Every message, log line, address and
 * JSON output of the packages passes what it got from a configuration through these functions first, so one
 * rule decides what counts as a secret:
 *
 * - a setting whose name is a secret's (`password`, `key`, `secret`, `passphrase`, `credentials`, ... in any
 *   case, also as a suffix: `apiKey`, `sasl.password`); `passwordFile` and `keyFile` are paths, not secrets,
 *   and a fencing `token` is no secret either;
 * - the password in a URL's user info (`redis://user:secret@host`) and query parameters named like a secret
 *   (`?password=...`, `?sslkey=...` is a path and stays);
 * - PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----`), and `password: "..."` / `password=...` in a
 *   text (a JSON dump, a libpq connection string), wherever they appear.
 */
export const REDACTED = '***';

/** True when a setting or parameter of this name (the last segment of a path such as `tls.key`) holds a secret. */
export function isSecretName(name: string): boolean {
  const last =
    name
      .split(/[.[\]]/)
      .filter((segment) => segment !== '')
      .pop() ?? name;
  return SECRET_NAME.test(last);
}

/** `url` with the password of its user info and its secret query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL `URL` can parse (a bare host:port, a typo): still take out anything between `:` and `@`.
    return redactText(url);
  }
  if (parsed.password !== '') parsed.password = REDACTED;
  for (const key of [...parsed.searchParams.keys()]) {
    if (isSecretName(key)) parsed.searchParams.set(key, REDACTED);
  }
  return parsed.toString();
}

/** `text` with URL passwords, secret query parameters and PEM private keys replaced by `***`. */
export function redactText(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, REDACTED)
    .replace(URL_USER_INFO, (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
    .replace(SECRET_QUERY, (_match, key: string) => `${key}=${REDACTED}`)
    .replace(SECRET_ASSIGNMENT, (_match, key: string) => `${key}"${REDACTED}"`);
}

/**
 * A copy of `value` (settings, a status's details, anything headed for output) with every secret replaced by
 * `***`: values of secret-named keys, and URL passwords and private keys inside strings. Non-plain objects
 * (clients, pools) are kept as they are; cycles are cut.
 */
export function redactSettings<T>(value: T): T {
  return redactValue(value, undefined, new WeakSet()) as T;
}

/** True when `value` is or holds something {@link redactSettings} would hide (for a `name`, when given). */
export function holdsSecret(value: unknown, name?: string): boolean {
  if (name !== undefined && isSecretName(name) && value !== undefined && value !== null && value !== '')
    return true;
  if (typeof value === 'string') return redactText(value) !== value;
  return false;
}

/**
 * What to show of a value that {@link holdsSecret}: `***` for a secret-named setting or a non-string, else the
 * string with its secrets taken out (an invalid URL still shows what is wrong with it).
 */
export function redactedValue(value: unknown, name?: string): unknown {
  if (name !== undefined && isSecretName(name)) return REDACTED;
  return typeof value === 'string' ? redactText(value) : REDACTED;
}

function redactValue(value: unknown, key: string | undefined, seen: WeakSet<object>): unknown {
  if (
    key !== undefined &&
    isSecretName(key) &&
    value !== undefined &&
    value !== null &&
    typeof value !== 'object'
  )
    return REDACTED;
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, undefined, seen));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([entryKey, entry]) => [
      entryKey,
      redactValue(entry, entryKey, seen),
    ]),
  );
}

/** Names of secrets, as a whole name or its last word (`apiKey`, `api_key`, `clientSecret`). */
const SECRET_NAME = /(password|passwd|pwd|passphrase|secret|key|credentials?)$/i;
const PEM_PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** `scheme://user:password@`: the password is anything up to the last `@` before the host. */
const URL_USER_INFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):[^\s/?#]*@/gi;
/** `password: "x"`, `"password":"x"`, `password=x` in a text (a JSON dump, a libpq string). */
const SECRET_ASSIGNMENT =
  /("?\b(?:password|passwd|pwd|passphrase|secret)"?\s*[:=]\s*)("[^"]*"|[^\s&,;}"]+)/gi;
const SECRET_QUERY = /([?&](?:password|passwd|pwd|passphrase|secret|token|auth|api[_-]?key))=[^&#\s]*/gi;
