import {
  BaseProvider,
  type Capabilities,
  type LockOptions,
  type LockStatus,
  type ProviderDescription,
  parseSettings,
  type ReadWriteLock,
  validateLockName,
} from '@lock/core';
import { Redis, type RedisOptions } from 'ioredis';
import { quietErrors } from '../shared/client-checks.js';
import { closeClient } from '../shared/close-client.js';
import {
  connectionSecurity,
  type RedisSecurityOptions,
  type RedisSecuritySettings,
  urlForSecurity,
} from '../shared/connection-security.js';
import { ConnectionWatch } from '../shared/connection-watch.js';
import { DEFAULT_TTL_MS } from '../shared/lease-ttl.js';
import { globEscape, lockKeys, waiterKey } from '../shared/lock-keys.js';
import { modeKeys } from '../shared/mode-keys.js';
import { KIND_PERMIT, KIND_READ, KIND_WRITE } from '../shared/mode-scripts.js';
import { DEFAULT_PREFIX } from '../shared/prefix.js';
import type { RedisLockClient } from '../shared/redis-client.js';
import { Acquisitions } from './acquisitions.js';
import { BlockingPool } from './blocking-pool.js';
import { CommandDeadlines } from './command-deadlines.js';
import { describeServer } from './describe-server.js';
import type { RedisBackend } from './lock-context.js';
import { type LockProtocol, modeProtocol } from './lock-protocol.js';
import { raiseFence } from './raise-fence.js';
import { readStatus } from './read-status.js';
import { redisCapabilities } from './redis-capabilities.js';
import { RedisLock } from './redis-lock.js';
import { defaultRecheckMs, redisOptionsSchema } from './redis-settings.js';

/**
 * Makes {@link RedisLock}s on one Redis server (or a Redis Cluster: a lock's keys share one slot).
 *
 * @example
 * const provider = new RedisProvider({ connection: 'redis://127.0.0.1:6379' });
 * await provider.lock('orders').withLock(async (lease) => db.write(lease.token));
 */
export class RedisProvider extends BaseProvider<RedisLock> {
  readonly capabilities: Capabilities;
  /** The main connection (commands that never block). */
  readonly client: RedisLockClient;
  readonly prefix: string;
  readonly ttlMs: number;
  /** The longest a call waits for a Redis reply, in ms. */
  readonly commandTimeoutMs: number;
  private readonly ownsClient: boolean;
  private readonly backend: RedisBackend;
  private readonly renewEveryMs: number | undefined;
  /** Set by `close()`: its waiters leaving the queue. */
  private draining: Promise<void> | undefined;

  /** Every option is checked before any connection is made; errors name it (`options.recheckMs`). */
  constructor(options: RedisProviderOptions) {
    super();
    // Typed as the options interface (which documents each option): the schema's output must match it.
    const settings: RedisProviderOptions = parseSettings(redisOptionsSchema, options, 'options');
    const ttlMs = settings.ttlMs ?? DEFAULT_TTL_MS;
    const commandTimeoutMs = settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.prefix = settings.prefix ?? DEFAULT_PREFIX;
    this.ttlMs = ttlMs;
    this.commandTimeoutMs = commandTimeoutMs;
    this.renewEveryMs = settings.renewEveryMs;
    this.ownsClient = settings.client === undefined;
    this.client = settings.client ?? connect(settings.connection!, connectionSecurity(settings, 'options'));
    if (this.ownsClient) quietErrors(this.client);
    this.capabilities = redisCapabilities(settings);
    this.backend = {
      client: this.client,
      pool: new BlockingPool(this.client),
      prefix: this.prefix,
      capabilities: this.capabilities,
      recheckMs: settings.recheckMs ?? defaultRecheckMs(ttlMs),
      waitReplicas: settings.waitReplicas ?? 0,
      waitTimeoutMs: settings.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      fenceRetentionMs: settings.fenceRetentionMs ?? KEEP_FOREVER,
      commandTimeoutMs,
      deadlines: new CommandDeadlines(commandTimeoutMs, new ConnectionWatch(this.client, this.ownsClient)),
      cleanups: new Set(),
      places: new Set(),
      acquisitions: new Acquisitions(),
      closing: () => this.closed,
    };
  }

  /**
   * Who holds `name` and who waits, in one atomic read: the holder's owner id and token, the live waiters in
   * grant order (owner ids; the first 100 are listed, `waiterCount` counts all), the last token issued (the
   * fence counter, also when the lock is free), and in `details` the lock's keys and the grant's remaining TTL.
   * Rejects with `LockBackendError` when Redis fails or does not answer within `commandTimeoutMs`.
   */
  async status(name: string): Promise<LockStatus> {
    validateLockName(name);
    this.assertOpen('status', name);
    return readStatus(this.backend, name);
  }

  /**
   * Raises the fence counter of `name` so that every later grant of it (lock, read-write lock, semaphore) gets
   * a token greater than `atLeast`; never lowers it. What the selector's migration phase uses to carry a moved
   * name's tokens from its old cluster to its new one. `LockBackendError` when Redis fails.
   */
  async raiseFence(name: string, atLeast: bigint): Promise<void> {
    validateLockName(name);
    this.assertOpen('raiseFence', name);
    await raiseFence(this.backend, name, atLeast);
  }

  /**
   * What the server is (version, role, connected replicas, from `INFO`), and what to know about it for locks:
   * no append-only file, fewer replicas than `waitReplicas`. `LockBackendError` when Redis does not answer.
   */
  async describe(): Promise<ProviderDescription> {
    this.assertOpen('describe');
    return describeServer(this.backend);
  }

  /**
   * Keys this provider left for `name` (lock key, queue, deadlines, waiter lists, and those of the name's
   * read-write lock and semaphore), not counting the fence counter, which stays on purpose so tokens keep
   * increasing. 0 when nobody holds or waits.
   */
  async leftoverKeys(name: string): Promise<string[]> {
    validateLockName(name);
    // A place in the queue kept by a release is given up at the next turn of the event loop if unused; wait for
    // that, and for the leaves under way.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(this.backend.cleanups);
    const keys = lockKeys(this.prefix, name);
    const found: string[] = [];
    let cursor = '0';
    const match = `${globEscape(keys.lock)}*`;
    do {
      const [next, batch] = (await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000)) as [
        string,
        string[],
      ];
      cursor = next;
      for (const key of batch) if (key !== keys.fence) found.push(key);
    } while (cursor !== '0');
    const owned = [keys, modeKeys(this.prefix, name, 'rw'), modeKeys(this.prefix, name, 'sem')];
    return found.filter((key) =>
      owned.some(
        (primitive) =>
          (primitive.all.includes(key) && key !== primitive.fence) ||
          key.startsWith(waiterKey(primitive, '')),
      ),
    );
  }

  /**
   * Leaves nothing of this provider on the server: ends live leases (released, or handed to the next waiter),
   * wakes its waiters so they leave the queue (giving back a grant handed to them meanwhile), and only then
   * closes the connections this provider opened. Bounded when the server is gone: each step waits at most a
   * second or so, and what could not be removed runs out with its TTL (a waiter's entry is skipped as dead).
   */
  override close(): Promise<void> {
    // Waiters leave while the leases are released, not after. Waking them only sends their give-up markers;
    // `closed` is true by the time any of them looks (super.close() sets it before it releases anything).
    if (!this.closed) this.draining = this.backend.acquisitions.drain(CLOSE_GRACE_MS);
    return super.close();
  }

  protected createLock(name: string, options: LockOptions | undefined): RedisLock {
    return this.makeLock(name, options, undefined);
  }

  /**
   * The read-write lock of `name`: readers share, a writer is alone, in arrival order across both (a waiting
   * writer holds back the readers behind it). Its keys are its own: it and `lock(name)` are separate locks of
   * one name, which share the name's fence counter (tokens strictly increase across all grants of the name).
   */
  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    return {
      name,
      read: this.makeLock(name, options, modeProtocol(KIND_READ)),
      write: this.makeLock(name, options, modeProtocol(KIND_WRITE)),
    };
  }

  /**
   * The semaphore of `name`: at most `permits` holders, granted in arrival order; every holder and waiter must
   * use the same `permits` (else `PermitsMismatchError`, decided in the acquire script). Separate from the
   * name's lock and read-write lock; it shares their fence counter.
   */
  protected override createSemaphore(
    name: string,
    permits: number,
    options: LockOptions | undefined,
  ): RedisLock {
    return this.makeLock(name, options, modeProtocol(KIND_PERMIT, permits));
  }

  /** A lock handle of `name` that runs `protocol`'s scripts (undefined: the exclusive lock's). */
  protected makeLock(
    name: string,
    options: LockOptions | undefined,
    protocol: LockProtocol | undefined,
  ): RedisLock {
    return new RedisLock(
      name,
      { renewEveryMs: this.renewEveryMs, ...options, defaultTtlMs: this.ttlMs, owner: this, remote: true },
      this.backend,
      protocol,
    );
  }

  protected async closeBackend(): Promise<void> {
    // Places in the queue kept for a next acquisition that will not come now: leave them before disconnecting.
    for (const abandon of [...this.backend.places]) abandon();
    await this.draining;
    await Promise.all(this.backend.cleanups);
    this.backend.pool.close();
    if (this.ownsClient) await closeClient(this.client);
  }
}

/** Options of a {@link RedisProvider}: the settings of the `redis` kind, with a client or connection options. */
export interface RedisProviderOptions extends RedisSecuritySettings {
  /** A client you built (not closed by `close()`). Give this or `connection`. */
  client?: RedisLockClient | undefined;
  /** A `redis://` URL or ioredis options; the provider creates the client and closes it. */
  connection?: string | RedisOptions | undefined;
  /** Key prefix (namespace); no braces. Default `'lock:'`. */
  prefix?: string | undefined;
  /** Default lease length in ms, a whole number from 100. Default 30,000. */
  ttlMs?: number | undefined;
  /** Renew every this many ms; default a third of the TTL; at most half of it. */
  renewEveryMs?: number | undefined;
  /**
   * Fallback re-check of a waiter, in ms: the longest a lost wake-up, or a holder that died instead of
   * releasing, can delay a waiter beyond the TTL. Default `min(1000, ttlMs / 10)`; at most a quarter of the TTL.
   */
  recheckMs?: number | undefined;
  /** Require this many replicas to acknowledge each grant (`WAIT`); 0 (default) does not wait. */
  waitReplicas?: number | undefined;
  /** How long `WAIT` may take, in ms. Default 1,000. */
  waitTimeoutMs?: number | undefined;
  /**
   * The longest any call waits for a Redis reply, in ms (a waiter's `BLPOP`: its re-check interval plus this)
   * before it fails with `LockBackendError` (cause `CommandTimeoutError`); an acquisition whose reply did not
   * come is undone by a release queued behind it. Default 3,000.
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Bounds the fence counters kept on the server: a name's counter expires this many ms after the end of its
   * latest grant's TTL (each grant and renewal pushes the expiry out), and an idle name then costs nothing.
   * A counter created again starts from the server clock, above every token the old one gave (see the README
   * for what that assumes). Default: counters are kept forever (one small key per name ever locked).
   */
  fenceRetentionMs?: number | undefined;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 3000;
const DEFAULT_WAIT_TIMEOUT_MS = 1000;
/** `fenceRetentionMs` as the scripts take it when counters are kept forever. */
const KEEP_FOREVER = 0;
/** How long `close()` waits for acquisitions under way to leave the queue (the server may be gone). */
const CLOSE_GRACE_MS = 1000;

function connect(connection: string | RedisOptions, security: RedisSecurityOptions): RedisLockClient {
  // Blocking waits use `duplicate()`, which copies these options: every connection is let in the same way.
  return (typeof connection === 'string'
    ? new Redis(urlForSecurity(connection, security), security)
    : new Redis({ ...connection, ...security })) as unknown as RedisLockClient;
}
