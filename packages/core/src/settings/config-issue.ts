/** One problem found in a configuration: where, what was expected there, and what was found. */
export interface ConfigIssue {
  /** JSON path of the value, e.g. `backends.cache.url` or `backends.coord.endpoints[1]`. */
  readonly path: string;
  /** What the value must be, in words (`a redis:// or rediss:// URL`). */
  readonly expected: string;
  /** The value found, rendered short (`"http://x"`, `-2`, `undefined`, `the key "ttl"`). */
  readonly received: string;
  /** The value found. */
  readonly value?: unknown;
}

/** `path: expected ..., received ...`, the line every configuration error is reported with. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path === '' ? 'the configuration' : issue.path}: expected ${issue.expected}, received ${issue.received}`;
}

/** Appends a key to a JSON path: `a.b`, `a["odd key"]`, `a[0]`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}
