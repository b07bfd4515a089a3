import { type Capabilities, sessionTtlRule } from '@lock/core';

/** Shortest session TTL, in ms: a third of it is the keepalive interval, which must leave room for a round trip. */
export const POSTGRES_MIN_TTL_MS = 1_000;

/**
 * What a PostgreSQL provider with these settings and its locks declare: the kind's `capabilities`, which the
 * provider calls too. Advisory locks live in one server's memory and are not replicated, so a failover to a
 * standby loses every lock: `single-node`. A lock's lease is its session's (the session's TTL is `ttlMs`).
 */
export function postgresCapabilities(settings: { readonly ttlMs: number }): Capabilities {
  return Object.freeze({
    backend: 'postgres',
    scope: 'cluster',
    durability: 'single-node',
    waiting: 'push',
    fifo: true,
    fencing: true,
    leases: true,
    readWrite: true,
    ttl: sessionTtlRule(settings.ttlMs, { minMs: POSTGRES_MIN_TTL_MS }),
  });
}
