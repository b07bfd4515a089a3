import { quietErrors } from '../shared/client-checks.js';
import type { RedisLockClient } from '../shared/redis-client.js';

/**
 * Connections for blocking waits (`BLPOP` holds its connection until it returns). One per waiting
 * acquisition, reused across acquisitions; idle ones beyond `maxIdle` are closed. A waiter never blocks the
 * provider's main connection, so releases, renewals and other locks are not stuck behind it.
 */
export class BlockingPool {
  private readonly source: RedisLockClient;
  private readonly maxIdle: number;
  private readonly idle: RedisLockClient[] = [];
  private readonly busy = new Set<RedisLockClient>();
  private closed = false;

  constructor(source: RedisLockClient, maxIdle = 32) {
    this.source = source;
    this.maxIdle = maxIdle;
  }

  /** Connections open now (idle + in use). */
  get size(): number {
    return this.idle.length + this.busy.size;
  }

  take(): RedisLockClient {
    let connection = this.idle.pop();
    if (connection === undefined) {
      connection = this.source.duplicate();
      // Failures reach the waiter through its BLPOP; no console noise from the pool's own connections.
      quietErrors(connection);
    }
    this.busy.add(connection);
    return connection;
  }

  give(connection: RedisLockClient): void {
    this.busy.delete(connection);
    if (this.closed || this.idle.length >= this.maxIdle) connection.disconnect();
    else this.idle.push(connection);
  }

  /**
   * Drops a connection whose blocking command never answered (server down or unreachable): closing it also
   * drops what ioredis still queues on it, so a stale re-check is never resent after a reconnect.
   */
  discard(connection: RedisLockClient): void {
    this.busy.delete(connection);
    connection.disconnect();
  }

  /** Closes every connection; waits blocked on one reject, so their acquisitions end. */
  close(): void {
    this.closed = true;
    for (const connection of [...this.idle.splice(0), ...this.busy]) connection.disconnect();
  }
}
