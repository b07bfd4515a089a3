import { LockBackendError } from '@lock/core';
import { servers } from './connection-string.js';
import { readServerFacts, type ZooKeeperServerFacts } from './server-facts.js';

/**
 * What `ZooKeeperProvider.describe()` reports: the servers in words and what a caller should know about them,
 * for tools such as `lock explain` and `lock status` that show any provider's server the same way.
 */
export interface ZooKeeperProviderDescription {
  /** The servers in words: `"ZooKeeper 3.8.0 (3 servers: leader, follower, follower)"`. */
  readonly server: string;
  /** What a caller should know, one sentence each; empty when nothing. */
  readonly warnings: readonly string[];
  /** The same facts in ZooKeeper's terms. */
  readonly details: {
    /** What each server of the connection string said, in its order. */
    readonly servers: readonly ZooKeeperServerFacts[];
    /** The session timeout asked for, in ms. */
    readonly requestedSessionTimeoutMs: number;
    /** The one the server negotiated for the current session, in ms; `undefined` before a session connected. */
    readonly negotiatedSessionTimeoutMs: number | undefined;
  };
}

/**
 * Asks every server of `connectionString` what it is (`srvr`), at once. Rejects with `LockBackendError` when
 * none could be reached; a server that is down, or does not answer `srvr`, is a warning.
 * @internal
 */
export async function describeServers(
  connectionString: string,
  requestedSessionTimeoutMs: number,
  negotiatedSessionTimeoutMs: number | undefined,
): Promise<ZooKeeperProviderDescription> {
  const facts = await Promise.all(servers(connectionString).map(readServerFacts));
  if (!facts.some((server) => server.reached)) {
    throw new LockBackendError('zk', 'describe', {
      detail: `no server of ${connectionString} could be reached (${facts.map((server) => `${server.address}: ${server.error}`).join('; ')})`,
    });
  }
  const warnings = facts.flatMap((server) =>
    server.error === undefined
      ? []
      : [`ZooKeeper at ${server.address} did not describe itself: ${server.error}`],
  );
  if (negotiatedSessionTimeoutMs !== undefined && negotiatedSessionTimeoutMs !== requestedSessionTimeoutMs) {
    warnings.push(
      `the server negotiated a session timeout of ${negotiatedSessionTimeoutMs} ms instead of the ${requestedSessionTimeoutMs} ms requested; leases last as long as the session`,
    );
  }
  return {
    server: inWords(facts),
    warnings,
    details: { servers: facts, requestedSessionTimeoutMs, negotiatedSessionTimeoutMs },
  };
}

function inWords(facts: readonly ZooKeeperServerFacts[]): string {
  const versions = [
    ...new Set(facts.flatMap((server) => (server.version === undefined ? [] : [server.version]))),
  ];
  const name =
    versions.length === 0 ? 'ZooKeeper (version not reported)' : `ZooKeeper ${versions.join(' / ')}`;
  const modes = facts.map((server) => server.mode ?? 'unknown');
  if (facts.length === 1) return `${name} (${modes[0]})`;
  return `${name} (${facts.length} servers: ${modes.join(', ')})`;
}
