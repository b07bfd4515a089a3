import { rootProblem } from './lock-path.js';

/** The grammar of a connection string, as messages name it. */
export const CONNECTION_STRING_FORMAT = '"host:port[,host:port...][/chroot]"';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const MAX_PORT = 65_535;

/**
 * The rule for a ZooKeeper connection string, the one home of it (the settings schema calls it): one or more
 * `host:port`, comma-separated, each server once, with an optional chroot path after the last one. Returns
 * what was expected, in words that name the offending server, or `undefined` when the string is fine.
 */
export function connectionStringProblem(value: string): string | undefined {
  if (value.trim() === '') return `a ZooKeeper connection string ${CONNECTION_STRING_FORMAT}`;
  const seen = new Set<string>();
  for (const [index, server] of servers(value).entries()) {
    const match = HOST_PORT.exec(server);
    const port = match === null ? 0 : Number(match[2]);
    if (match === null || port < 1 || port > MAX_PORT) {
      return `a ZooKeeper connection string ${CONNECTION_STRING_FORMAT} whose every server is host:port with a port from 1 to ${MAX_PORT} (server ${index + 1} is ${JSON.stringify(server)})`;
    }
    // The same server twice would count twice: a standalone server would pass for an ensemble.
    const normalized = server.toLowerCase();
    if (seen.has(normalized)) {
      return `a ZooKeeper connection string that lists each server once (server ${index + 1}, ${JSON.stringify(server)}, is listed before)`;
    }
    seen.add(normalized);
  }
  const chroot = chrootOf(value);
  const chrootProblem = chroot === undefined ? undefined : rootProblem(chroot);
  if (chrootProblem !== undefined) {
    return `a ZooKeeper connection string whose chroot (the path after the servers) is ${chrootProblem}`;
  }
  return undefined;
}

/** The `host:port` entries of a connection string, trimmed. */
export function servers(connectionString: string): string[] {
  const slash = connectionString.indexOf('/');
  const hosts = slash < 0 ? connectionString : connectionString.slice(0, slash);
  return hosts.split(',').map((server) => server.trim());
}

function chrootOf(connectionString: string): string | undefined {
  const slash = connectionString.indexOf('/');
  return slash < 0 ? undefined : connectionString.slice(slash);
}
