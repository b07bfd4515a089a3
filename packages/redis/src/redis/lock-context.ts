import { type Capabilities, type Grant, ProviderClosedError } from '@lock/core';
import type { LockKeys } from '../shared/lock-keys.js';
import type { RedisLockClient } from '../shared/redis-client.js';
import type { Acquisitions } from './acquisitions.js';
import type { BlockingPool } from './blocking-pool.js';
import type { CommandDeadlines } from './command-deadlines.js';
import type { LockProtocol } from './lock-protocol.js';
import { QueuePlaces } from './queue-places.js';

/**
 * What the operations of one lock handle (acquire, wait, release, extend, its queue places) work on: the
 * handle's keys and state, and what every lock of its provider shares. `RedisLock` is the glue that calls them.
 */
export class LockContext {
  /** Whether the last acquisition had to wait (then the next one goes straight to a waiter connection). */
  contended = false;
  /** Places in the queue that releases keep for this handle's next acquisition. */
  readonly places: QueuePlaces;

  constructor(
    readonly name: string,
    readonly keys: LockKeys,
    readonly backend: RedisBackend,
    /** The scripts this handle runs: the exclusive lock's, or a read-write lock's or semaphore's. */
    readonly protocol: LockProtocol,
  ) {
    this.places = new QueuePlaces(this);
  }

  /** The error for an acquisition that the provider's `close()` ended. */
  providerClosed(): ProviderClosedError {
    return new ProviderClosedError(this.backend.capabilities.backend, 'acquire', this.name);
  }
}

/** One grant of a `RedisLock`. */
export interface RedisGrant extends Grant {
  readonly token: bigint;
  readonly ttlMs: number;
  readonly startedAt: number;
  /** Random owner id stored as the key's value for this grant. */
  readonly owner: string;
}

/** What the locks of one `RedisProvider` share. @internal */
export interface RedisBackend {
  readonly client: RedisLockClient;
  readonly pool: BlockingPool;
  readonly prefix: string;
  readonly capabilities: Capabilities;
  readonly recheckMs: number;
  readonly waitReplicas: number;
  readonly waitTimeoutMs: number;
  /** How long a fence counter outlives its latest grant's TTL, in ms; 0 keeps it forever. */
  readonly fenceRetentionMs: number;
  /** The longest we wait for a reply (a `BLPOP`: for its own timeout plus this) before failing the call. */
  readonly commandTimeoutMs: number;
  /** Bounds the waits for replies (`commandTimeoutMs`). */
  readonly deadlines: CommandDeadlines;
  /** Cleanups under way (places given up); `leftoverKeys()` and `close()` wait for them. */
  readonly cleanups: Set<Promise<unknown>>;
  /** Gives up the queue place a lock handle holds; `close()` calls them all. */
  readonly places: Set<() => void>;
  /** Acquisitions under way; `close()` wakes their waiters and waits for them before it disconnects. */
  readonly acquisitions: Acquisitions;
  /** True once the provider is closing: releases then wait a bounded time (the server may be gone). */
  readonly closing: () => boolean;
}
