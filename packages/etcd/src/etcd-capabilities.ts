import { type Capabilities, sessionTtlRule } from '@lock/core';

/**
 * Shortest session TTL granted as asked, in ms. etcd's minimum lease TTL is 1.5 election timeouts rounded up
 * to whole seconds (2 s with the default 1 s election timeout) and it raises a shorter TTL without saying so.
 */
export const ETCD_MIN_TTL_MS = 2_000;
/** etcd lease TTLs are whole seconds. */
export const ETCD_TTL_STEP_MS = 1_000;

/**
 * What an etcd provider with these settings and its locks declare: the kind's `capabilities`, which the
 * provider calls too. One session lease carries every lock of a provider, so the lease length is the
 * session's: a `ttlMs` other than the session's is refused before any I/O.
 */
export function etcdCapabilities(settings: { readonly ttlMs: number }): Capabilities {
  return Object.freeze({
    backend: 'etcd',
    scope: 'cluster',
    durability: 'consensus',
    waiting: 'push',
    fifo: true,
    fencing: true,
    leases: true,
    readWrite: true,
    semaphore: true,
    ttl: sessionTtlRule(settings.ttlMs, { minMs: ETCD_MIN_TTL_MS, stepMs: ETCD_TTL_STEP_MS }),
  });
}
