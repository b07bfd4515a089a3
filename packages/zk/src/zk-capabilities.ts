import { type Capabilities, sessionTtlRule } from '@lock/core';
import { servers } from './connection-string.js';

/**
 * What a ZooKeeper provider with these settings and its locks declare: the kind's `capabilities`, which the
 * provider calls too. A grant lives as long as the session, so the only lease length is the session's.
 */
export function zkCapabilities(settings: {
  readonly connectionString: string;
  readonly sessionTimeoutMs: number;
}): Capabilities {
  return Object.freeze({
    backend: 'zk',
    scope: 'cluster',
    // A standalone server is a quorum of one: its loss loses every lock.
    durability: servers(settings.connectionString).length > 1 ? 'consensus' : 'single-node',
    waiting: 'push',
    fifo: true,
    fencing: true,
    leases: true,
    readWrite: true,
    semaphore: true,
    ttl: sessionTtlRule(settings.sessionTimeoutMs),
  });
}
