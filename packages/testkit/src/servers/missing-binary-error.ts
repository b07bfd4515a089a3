import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The one command that installs every server binary the testkit starts. */
export const INSTALL_COMMAND =
  'apt-get update && apt-get install -y redis-server etcd-server etcd-client zookeeper';

/**
 * Thrown when a server binary or jar is missing. The message carries the install command, because a
 * missing server must fail the run loudly instead of silently skipping the tests that need it.
 */
export class MissingBinaryError extends Error {
  /** The binary or file that was looked for. */
  readonly binary: string;

  constructor(binary: string) {
    super(`${binary} was not found on this machine. Install the servers with: ${INSTALL_COMMAND}`);
    this.name = 'MissingBinaryError';
    this.binary = binary;
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
