import type { Capabilities } from '@lock/core';
import { REDIS_TTL_RULE } from '../shared/lease-ttl.js';

/**
 * What a Redlock lock guarantees: a majority of independent instances, leased; no fencing (independent counters
 * give no monotonic token) and no waiting in line (one try per quorum round, no queue to wait in). The one source
 * of these facts: the provider declares them by calling this, and so does the `redlock` kind.
 */
export function redlockCapabilities(): Capabilities {
  return REDLOCK_CAPABILITIES;
}

const REDLOCK_CAPABILITIES: Capabilities = Object.freeze({
  backend: 'redlock',
  scope: 'cluster',
  durability: 'replicated-async',
  waiting: 'none',
  fifo: false,
  fencing: false,
  leases: true,
  ttl: REDIS_TTL_RULE,
});
