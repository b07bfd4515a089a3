import { type RedisServer, startRedis } from './redis-server.js';
import { waitUntil } from './wait-until.js';

/** Options for {@link startRedisReplicaPair}. */
export interface StartRedisReplicaPairOptions {
  /** Extra arguments for both servers. */
  args?: string[];
  /** How long to wait for `master_link_status:up`. Default 15 s. */
  syncTimeoutMs?: number;
}

/** A Redis primary and one replica of it, for failover tests. */
export class RedisReplicaPair implements AsyncDisposable {
  /** The server started as primary (after a failover it may no longer be the master). */
  readonly primary: RedisServer;
  /** The server started with `--replicaof` the primary. */
  readonly replica: RedisServer;

  /** @internal Use {@link startRedisReplicaPair}. */
  constructor(primary: RedisServer, replica: RedisServer) {
    this.primary = primary;
    this.replica = replica;
  }

  /** Both servers, primary first. */
  get members(): RedisServer[] {
    return [this.primary, this.replica];
  }

  /**
   * The one running, unpaused member that reports `role:master`. Rejects when none does, or when both do
   * (a split brain after a manual failover is exactly what a test wants to hear about, not to have hidden).
   */
  async leader(): Promise<RedisServer> {
    const masters: RedisServer[] = [];
    for (const member of this.members) {
      if (!member.running || member.paused) continue;
      if ((await member.role()) === 'master') masters.push(member);
    }
    if (masters.length !== 1) {
      throw new Error(
        `expected one Redis master, found ${masters.length}: ${masters.map((m) => m.url).join(', ')}`,
      );
    }
    return masters[0]!;
  }

  /** Waits until the replica reports `master_link_status:up` (it has completed its sync). */
  async waitForSync(timeoutMs = 15_000): Promise<void> {
    await waitUntil(async () => (await this.replica.info('replication')).master_link_status === 'up', {
      description: `${this.replica.url} to sync from ${this.primary.url} (master_link_status:up)`,
      timeoutMs,
      detail: () =>
        `--- replica log ---\n${this.replica.logTail()}\n--- primary log ---\n${this.primary.logTail()}`,
    });
  }

  /** Stops both servers and removes their temp directories. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((member) => member.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts a primary (with `--repl-diskless-sync-delay 0`, or the first sync waits 5 s) and a replica of
 * it, and waits until replication is up.
 */
export async function startRedisReplicaPair(
  options: StartRedisReplicaPairOptions = {},
): Promise<RedisReplicaPair> {
  const primary = await startRedis({ args: ['--repl-diskless-sync-delay', '0', ...(options.args ?? [])] });
  let replica: RedisServer;
  try {
    replica = await startRedis({ replicaOf: primary, args: options.args ?? [] });
  } catch (error) {
    await primary.close();
    throw error;
  }
  const pair = new RedisReplicaPair(primary, replica);
  try {
    await pair.waitForSync(options.syncTimeoutMs);
  } catch (error) {
    await pair.close();
    throw error;
  }
  return pair;
}
