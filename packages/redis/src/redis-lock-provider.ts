import {
  BaseProvider,
  type Capabilities,
  InvalidArgumentError,
  LockBackendError,
  type LockOptions,
  validateLeaseTtl,
  validateLockName,
  validateOptionsObject,
  validatePositiveMs,
  validateRenewEvery,
} from '@lock/core';
import { Redis, type RedisOptions } from 'ioredis';
import { BlockingPool } from './blocking-pool.js';
import { Acquisitions } from './close-cleanup.js';
import { closeClient } from './close-client.js';
import { CommandDeadlines } from './command-deadlines.js';
import { ConnectionWatch } from './connection-watch.js';
import { REDIS_TTL_RULE } from './lease-ttl.js';
import { globEscape, lockKeys, waiterKey } from './lock-keys.js';
import type { RedisLockClient } from './redis-client.js';
import { RedisLock, type RedisLockBackend } from './redis-lock.js';
import { runScript } from './run-script.js';
import { STATUS } from './scripts.js';

/** Options of a {@link RedisLockProvider}. */
export interface RedisLockProviderOptions {
  /** A client you built (not closed by `close()`). Give this or `connection`. */
  client?: RedisLockClient | undefined;
  /** A `redis://` URL or ioredis options; the provider creates the client and closes it. */
  connection?: string | RedisOptions | undefined;
  /** Key prefix (namespace); no braces. Default `'lock:'`. */
  prefix?: string | undefined;
  /** Default lease length in ms. Default 30,000. */
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
   * before it fails with `LockBackendError` (cause {@link CommandTimeoutError}); an acquisition whose reply did
   * not come is undone by a release queued behind it. Default 3,000.
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

/** What `status()` reports about one lock. */
export interface RedisLockStatus {
  /** The lock's name. */
  name: string;
  /** Owner id of the current grant, or `null` when free. */
  holder: string | null;
  /** Fencing token of the current grant (the fence counter's value; the last token issued when free). */
  token: bigint | null;
  /** Remaining TTL of the grant in ms, or `null` when free. */
  pttlMs: number | null;
  /** Waiters queued. */
  waiters: number;
}

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 3000;
/** `fenceRetentionMs` as the scripts take it when counters are kept forever. */
const KEEP_FOREVER = 0;
/** Ten years: beyond that a retention is "forever" in all but name. */
const MAX_RETENTION_MS = 10 * 365 * 24 * 3600 * 1000;
/** How long `close()` waits for acquisitions under way to leave the queue (the server may be gone). */
const CLOSE_GRACE_MS = 1000;

/**
 * Makes {@link RedisLock}s on one Redis server (or a Redis Cluster: a lock's keys share one slot).
 *
 * @example
 * const provider = new RedisLockProvider({ connection: 'redis://127.0.0.1:6379' });
 * await provider.lock('orders').withLock(async (lease) => db.write(lease.token));
 */
export class RedisLockProvider extends BaseProvider<RedisLock> {
  readonly capabilities: Capabilities;
  /** The main connection (commands that never block). */
  readonly client: RedisLockClient;
  readonly prefix: string;
  readonly ttlMs: number;
  /** The longest a call waits for a Redis reply, in ms. */
  readonly commandTimeoutMs: number;
  private readonly ownsClient: boolean;
  private readonly backend: RedisLockBackend;
  private readonly renewEveryMs: number | undefined;
  private shuttingDown = false;
  /** Set by `close()`: its waiters leaving the queue. */
  private draining: Promise<void> | undefined;

  constructor(options: RedisLockProviderOptions) {
    super();
    validateOptionsObject('options', options);
    if (options === undefined) throw new InvalidArgumentError('options', options, 'an options object');
    const prefix = options.prefix ?? 'lock:';
    if (typeof prefix !== 'string' || /[{}]/.test(prefix))
      throw new InvalidArgumentError(
        'options.prefix',
        prefix,
        'a string without { or } (they would move the cluster hash tag)',
      );
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    validatePositiveMs('options.ttlMs', ttlMs);
    validateLeaseTtl('options.ttlMs', ttlMs, REDIS_TTL_RULE);
    if (options.renewEveryMs !== undefined) {
      validatePositiveMs('options.renewEveryMs', options.renewEveryMs);
      validateRenewEvery(options.renewEveryMs, ttlMs);
    }
    const recheckMs = options.recheckMs ?? Math.max(1, Math.min(1000, Math.floor(ttlMs / 10)));
    validatePositiveMs('options.recheckMs', recheckMs);
    if (recheckMs * 4 > ttlMs)
      throw new InvalidArgumentError('options.recheckMs', recheckMs, `at most a quarter of ttlMs (${ttlMs})`);
    const waitReplicas = options.waitReplicas ?? 0;
    if (!Number.isInteger(waitReplicas) || waitReplicas < 0)
      throw new InvalidArgumentError('options.waitReplicas', waitReplicas, 'a non-negative integer');
    const waitTimeoutMs = options.waitTimeoutMs ?? 1000;
    validatePositiveMs('options.waitTimeoutMs', waitTimeoutMs);
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    validatePositiveMs('options.commandTimeoutMs', commandTimeoutMs);
    const fenceRetentionMs = options.fenceRetentionMs ?? KEEP_FOREVER;
    if (options.fenceRetentionMs !== undefined && !isRetention(fenceRetentionMs))
      throw new InvalidArgumentError(
        'options.fenceRetentionMs',
        options.fenceRetentionMs,
        `a whole number of ms from 1 to ${MAX_RETENTION_MS} (omit it to keep fence counters forever)`,
      );
    if ((options.client === undefined) === (options.connection === undefined))
      throw new InvalidArgumentError(
        'options.client',
        options.client,
        'exactly one of options.client and options.connection',
      );
    if (options.client !== undefined) {
      assertUsableClient(options.client, 'options.client');
      // WAIT counts the writes of one connection to one primary; a Cluster client has no such connection.
      if (waitReplicas > 0 && (options.client as { isCluster?: boolean }).isCluster === true)
        throw new InvalidArgumentError(
          'options.waitReplicas',
          waitReplicas,
          '0 with a Cluster client (WAIT needs the connection that made the write)',
        );
    } else if (
      typeof options.connection !== 'string' &&
      (typeof options.connection !== 'object' || options.connection === null)
    )
      throw new InvalidArgumentError(
        'options.connection',
        options.connection,
        'a redis:// URL or ioredis options',
      );

    this.prefix = prefix;
    this.ttlMs = ttlMs;
    this.commandTimeoutMs = commandTimeoutMs;
    this.renewEveryMs = options.renewEveryMs;
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      (typeof options.connection === 'string'
        ? (new Redis(options.connection) as unknown as RedisLockClient)
        : (new Redis(options.connection as RedisOptions) as unknown as RedisLockClient));
    if (this.ownsClient) quietErrors(this.client);
    const connection = new ConnectionWatch(this.client, this.ownsClient);
    this.capabilities = Object.freeze({
      backend: 'redis',
      scope: 'cluster',
      durability: waitReplicas > 0 ? 'replicated-async' : 'single-node',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
      ttl: REDIS_TTL_RULE,
    });
    this.backend = {
      client: this.client,
      pool: new BlockingPool(this.client),
      prefix,
      capabilities: this.capabilities,
      recheckMs,
      waitReplicas,
      waitTimeoutMs,
      fenceRetentionMs,
      commandTimeoutMs,
      deadlines: new CommandDeadlines(commandTimeoutMs, connection),
      cleanups: new Set(),
      places: new Set(),
      acquisitions: new Acquisitions(),
      closing: () => this.shuttingDown,
    };
  }

  /**
   * Holder, token, remaining TTL and queued waiters of a lock, in one atomic read (for `lock status`). Rejects
   * with `LockBackendError` when Redis fails or does not answer within `commandTimeoutMs`.
   */
  async status(name: string): Promise<RedisLockStatus> {
    validateLockName(name);
    this.assertOpen('status', name);
    const keys = lockKeys(this.prefix, name);
    let reply: unknown;
    try {
      reply = await this.backend.deadlines.bound(runScript(this.client, STATUS, keys.all, []), 'status');
    } catch (error) {
      throw new LockBackendError('redis', 'status', { lockName: name, cause: error });
    }
    const [holder, fence, pttl, waiters] = reply as [string | null, string | null, number, number];
    return {
      name,
      holder: holder ?? null,
      token: fence === null ? null : BigInt(fence),
      pttlMs: holder === null ? null : pttl,
      waiters,
    };
  }

  /**
   * Keys this provider left for `name` (lock key, queue, deadlines, waiter lists), not counting the fence
   * counter, which stays on purpose so tokens keep increasing. 0 when nobody holds or waits.
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
    return found.filter(
      (key) =>
        key === keys.lock ||
        key === keys.queue ||
        key === keys.deadlines ||
        key.startsWith(waiterKey(keys, '')),
    );
  }

  /**
   * Leaves nothing of this provider on the server: ends live leases (released, or handed to the next waiter),
   * wakes its waiters so they leave the queue (giving back a grant handed to them meanwhile), and only then
   * closes the connections this provider opened. Bounded when the server is gone: each step waits at most a
   * second or so, and what could not be removed runs out with its TTL (a waiter's entry is skipped as dead).
   */
  override close(): Promise<void> {
    if (!this.shuttingDown) {
      // Set before BaseProvider starts releasing, so releases and acquisitions see it from the first step.
      this.shuttingDown = true;
      // Waiters leave while the leases are released, not after.
      this.draining = this.backend.acquisitions.drain(CLOSE_GRACE_MS);
    }
    return super.close();
  }

  protected createLock(name: string, options: LockOptions | undefined): RedisLock {
    return new RedisLock(
      name,
      { renewEveryMs: this.renewEveryMs, ...options, defaultTtlMs: this.ttlMs, owner: this, remote: true },
      this.backend,
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

/** Rejects a client this package cannot use, before any I/O. */
export function assertUsableClient(client: unknown, parameter: string): asserts client is RedisLockClient {
  const candidate = client as Partial<RedisLockClient> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.evalsha !== 'function' ||
    typeof candidate.eval !== 'function' ||
    typeof candidate.blpop !== 'function' ||
    typeof candidate.duplicate !== 'function'
  )
    throw new InvalidArgumentError(parameter, client, 'an ioredis Redis or Cluster client');
  // Under RESP3 (ioredis 6's default) a subscribed connection still reports mode 'normal': look at its subscriptions too.
  const subscribed = Boolean((client as { condition?: { subscriber?: unknown } }).condition?.subscriber);
  const mode = subscribed ? 'subscriber' : candidate.mode;
  if (mode !== undefined && mode !== 'normal')
    throw new InvalidArgumentError(
      parameter,
      client,
      `a client in normal mode (this one is in ${mode} mode)`,
    );
}

/**
 * ioredis prints every connection error of a client without an 'error' listener. For connections this package
 * opened, the failures that matter reach the caller through the commands they break, so keep the console quiet.
 */
export function quietErrors(client: RedisLockClient): void {
  (client as unknown as { on?: (event: string, listener: () => void) => void }).on?.('error', () => {});
}

function isRetention(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_RETENTION_MS;
}
