import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const marker = Symbol.for('@lock/testkit/MissingBinaryError');

/** The one command that installs every server binary the testkit starts. */
export const INSTALL_COMMAND =
  'apt-get update && apt-get install -y redis-server etcd-server etcd-client zookeeper postgresql';

/**
 * Thrown when a server binary or jar is missing. The message carries the install command, because a
 * missing server must fail the run loudly instead of silently skipping the tests that need it.
 */
export class MissingBinaryError extends Error {
  /** The binary or file that was looked for. */
  readonly binary: string;
  /** Read by {@link MissingBinaryError.isInstance}; a `Symbol.for` key is shared by every copy of the package. */
  readonly [marker] = true;

  constructor(binary: string) {
    super(`${binary} was not found on this machine. Install the servers with: ${INSTALL_COMMAND}`);
    this.name = 'MissingBinaryError';
    this.binary = binary;
  }

  /** True for a MissingBinaryError from any copy of this package (ESM and CJS builds are two copies). */
  static isInstance(value: unknown): value is MissingBinaryError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/**
 * Resolves a command name on PATH (or checks an absolute path) and returns its absolute path.
 *
 * @throws MissingBinaryError when it is not there.
 */
export function requireBinary(name: string): string {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, name.endsWith('.jar') ? constants.R_OK : constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  throw new MissingBinaryError(name);
}
