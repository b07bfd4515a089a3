import type { Capabilities } from '@lock/core';
import { REDIS_TTL_RULE } from '../shared/lease-ttl.js';

/**
 * What a Redis lock guarantees with these settings: fenced, FIFO, push-woken, leased; `single-node` durability
 * (a failover can lose a grant), `replicated-async` when grants wait for replica acknowledgement; read-write
 * locks and semaphores with the same queue, wake-up and fencing. The one source
 * of these facts: the provider declares them by calling this, and so does the `redis` kind.
 */
export function redisCapabilities(settings: { readonly waitReplicas?: number | undefined }): Capabilities {
  return Object.freeze({
    backend: 'redis',
    scope: 'cluster',
    durability: (settings.waitReplicas ?? 0) > 0 ? 'replicated-async' : 'single-node',
    waiting: 'push',
    fifo: true,
    fencing: true,
    leases: true,
    ttl: REDIS_TTL_RULE,
    readWrite: true,
    semaphore: true,
  });
}
