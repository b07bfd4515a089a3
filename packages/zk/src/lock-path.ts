/**
 * Code points ZooKeeper refuses in a path (its `PathUtils.validatePath`): controls, the surrogate and
 * private-use range (so every character outside the BMP), and the specials block.
 */
function isDisallowed(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xf8ff) ||
    (code >= 0xfff0 && code <= 0xffff)
  );
}

/**
 * The rule for the root path every lock lives under, the one home of it (the settings schema calls it): absolute,
 * no trailing `/`, no empty, `.` or `..` segment, not ZooKeeper's reserved `/zookeeper` tree, no code point
 * ZooKeeper refuses. `/` itself is refused too: locks get a dedicated tree, so a lock name can never land on
 * `/zookeeper`. Returns what was expected, in words, or `undefined` when `path` is fine.
 */
export function rootProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'an absolute ZooKeeper path starting with "/", such as "/locks"';
  if (path === '/') return 'a dedicated path below "/", such as "/locks"';
  if (path.endsWith('/')) return 'a ZooKeeper path without a trailing "/"';
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'a ZooKeeper path without empty segments ("//")';
    if (segment === '.' || segment === '..') return 'a ZooKeeper path without "." or ".." segments';
  }
  if (segments[0] === 'zookeeper') return 'a path outside the reserved "/zookeeper" tree';
  for (let index = 0; index < path.length; index += 1) {
    const code = path.charCodeAt(index);
    if (isDisallowed(code)) {
      return `a ZooKeeper path without disallowed code points (U+${code.toString(16).padStart(4, '0')})`;
    }
  }
  return undefined;
}

/**
 * Maps a lock name to one path segment, injectively: `%`, `/` and every code point ZooKeeper refuses are
 * percent-encoded (UTF-8), and the names `.` and `..` are encoded whole. So `a/b` is one lock (`a%2Fb`),
 * never a lock nested in another, and no name can climb out of the root.
 */
export function escapeLockName(name: string): string {
  if (name === '.') return '%2E';
  if (name === '..') return '%2E%2E';
  let escaped = '';
  for (const char of name) {
    const code = char.codePointAt(0) as number;
    if (char === '%' || char === '/' || code > 0xffff || isDisallowed(code)) {
      for (const byte of Buffer.from(char, 'utf8'))
        escaped += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      escaped += char;
    }
  }
  return escaped;
}

/** The parent node of a lock's queue: `root/escaped-name`. */
export function lockParentPath(root: string, name: string): string {
  return `${root}/${escapeLockName(name)}`;
}
