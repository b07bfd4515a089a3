import {
  BaseProvider,
  type Capabilities,
  LockBackendError,
  type LockOptions,
  linkSignals,
  monotonicNow,
  noop,
  type ReadWriteLock,
  validateLockName,
} from '@lock/core';
import { describeServers, type ZooKeeperProviderDescription } from './describe-servers.js';
import { lockParentPath } from './lock-path.js';
import { parseProviderOptions, type ZooKeeperProviderOptions } from './provider-options.js';
import { exclusiveMode, permitMode, sharedMode } from './queue-mode.js';
import { readStatus, type ZooKeeperLockStatus } from './read-status.js';
import { loadCredentials, type ZooKeeperAuthConfig } from './zk-auth.js';
import { zkCapabilities } from './zk-capabilities.js';
import type { ZooKeeperClientFactory } from './zookeeper-client.js';
import { ZooKeeperLock, type ZooKeeperLockHost } from './zookeeper-lock.js';
import { ZooKeeperSession } from './zookeeper-session.js';

/** A read-write lock of this package: both sides are {@link ZooKeeperLock}s on the name's one queue. */
export interface ZooKeeperReadWriteLock extends ReadWriteLock {
  readonly read: ZooKeeperLock;
  readonly write: ZooKeeperLock;
}

/**
 * Locks, read-write locks and semaphores on ZooKeeper. One session (one native client) per provider, shared by its locks; when the session
 * is lost it is closed and the next acquisition opens a new one. Close the provider to end the session.
 */
export class ZooKeeperProvider extends BaseProvider<ZooKeeperLock> implements ZooKeeperLockHost {
  readonly capabilities: Capabilities;
  readonly connectionString: string;
  readonly root: string;
  /** Session timeout requested from the server, in ms. */
  readonly requestedSessionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** The digest user sessions authenticate as (`auth.username`); undefined without `auth`. */
  readonly authUser: string | undefined;
  private readonly clientFactory: ZooKeeperClientFactory;
  private readonly auth: ZooKeeperAuthConfig | undefined;
  private current: ZooKeeperSession | undefined;
  private opening: Promise<ZooKeeperSession> | undefined;
  private sessionsOpened = 0;
  private clampWarned = false;

  /**
   * Checks the options before any I/O (`InvalidArgumentError` naming the field, `options.sessionTimeoutMs`:
   * the words of the settings schema). Connects lazily.
   */
  constructor(options: ZooKeeperProviderOptions) {
    super();
    const settings = parseProviderOptions(options);
    this.connectionString = settings.connectionString;
    this.requestedSessionTimeoutMs = settings.sessionTimeoutMs;
    this.connectTimeoutMs = settings.connectTimeoutMs;
    this.root = settings.root;
    this.clientFactory = settings.clientFactory;
    this.auth = settings.auth;
    this.authUser = settings.auth?.username;
    this.capabilities = zkCapabilities(settings);
  }

  /** Session timeout the server negotiated for the current session, in ms (undefined before it connects). */
  get sessionTimeoutMs(): number | undefined {
    return this.current?.sessionTimeoutMs;
  }

  /** Id (hex) of the current session, once connected. */
  get sessionId(): string | undefined {
    return this.current?.lost ? undefined : this.current?.sessionId;
  }

  /** How many sessions this provider has opened (a new one after each loss). */
  get sessionCount(): number {
    return this.sessionsOpened;
  }

  /** The parent node of `name`'s queue. */
  parentPath(name: string): string {
    return lockParentPath(this.root, name);
  }

  /**
   * The connected session, opening a new one when there is none or the last one was lost. Rejects with a
   * `LockBackendError` when no connection is made within `connectTimeoutMs`, or with `signal.reason`.
   * @internal
   */
  async session(signal?: AbortSignal, lockName?: string, deadline?: number): Promise<ZooKeeperSession> {
    this.assertOpen('acquire', lockName);
    let session = this.current;
    if (session === undefined || session.lost) session = await this.openSession();
    if (session.state === 'connected') return session;
    const limitMs = Math.max(
      0,
      Math.min(
        this.connectTimeoutMs,
        deadline === undefined ? Infinity : Math.ceil(deadline - monotonicNow()),
      ),
    );
    const connectTimeout = AbortSignal.timeout(limitMs);
    // Not AbortSignal.any: a long-lived caller signal would keep every combined signal reachable on Node 20.
    const wait = linkSignals(signal, connectTimeout);
    try {
      await session.whenConnected(wait.signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      this.assertOpen('acquire', lockName);
      throw new LockBackendError('zk', 'connect', {
        lockName,
        cause: error,
        detail: connectTimeout.aborted
          ? `no connection to ${this.connectionString} within ${limitMs} ms`
          : undefined,
      });
    } finally {
      wait.unlink();
    }
    return session;
  }

  /**
   * The queue of one lock as the server sees it: the holder (first in sequence order) with its czxid as token,
   * and the waiters in grant order, with each node's session in `details`. For `lock status`. Rejects with
   * `LockBackendError` when ZooKeeper fails.
   */
  async status(name: string): Promise<ZooKeeperLockStatus> {
    validateLockName(name);
    const path = this.parentPath(name);
    const session = await this.session(undefined, name);
    try {
      return await readStatus(session, name, path);
    } catch (error) {
      throw new LockBackendError('zk', 'status', { lockName: name, cause: error });
    }
  }

  /**
   * The servers in words and what a caller should know about them, for `lock explain` and `lock status`: each
   * server's version and role (the `srvr` four-letter word, on a connection of its own; no session needed),
   * and a warning for a server that cannot say and for a clamped session timeout. Rejects with
   * `LockBackendError` when no server can be reached.
   */
  describe(): Promise<ZooKeeperProviderDescription> {
    return describeServers(this.connectionString, this.requestedSessionTimeoutMs, this.sessionTimeoutMs);
  }

  protected createLock(name: string, options: LockOptions | undefined): ZooKeeperLock {
    return new ZooKeeperLock(name, this, options);
  }

  /**
   * Curator's InterProcessReadWriteLock on the lock's own queue: the writer is `lock(name)` itself, so a
   * `lock()` and the write side of a read-write lock of one name exclude each other (and readers).
   */
  protected override createReadWriteLock(
    name: string,
    options: LockOptions | undefined,
  ): ZooKeeperReadWriteLock {
    return {
      name,
      read: new ZooKeeperLock(name, this, options, sharedMode),
      write: new ZooKeeperLock(name, this, options, exclusiveMode),
    };
  }

  protected override createSemaphore(
    name: string,
    permits: number,
    options: LockOptions | undefined,
  ): ZooKeeperLock {
    return new ZooKeeperLock(name, this, options, permitMode(permits));
  }

  protected async closeBackend(): Promise<void> {
    const opening = this.opening;
    if (opening !== undefined) await opening.catch(() => undefined);
    await this.current?.close();
  }

  /**
   * The server clamps the session timeout to [2, 20] x its tickTime without notice, and every lease lasts as
   * long as the session: say so once when the lease length granted is not the one asked for.
   */
  private noteNegotiated(session: ZooKeeperSession): void {
    const negotiated = session.sessionTimeoutMs;
    if (this.clampWarned || negotiated === undefined || negotiated === this.requestedSessionTimeoutMs) return;
    this.clampWarned = true;
    process.emitWarning(
      `ZooKeeper at ${this.connectionString} negotiated a session timeout of ${negotiated} ms instead of the ${this.requestedSessionTimeoutMs} ms requested; leases last as long as the session (lease.ttlMs reports ${negotiated})`,
      { code: 'LOCK_ZK_SESSION_TIMEOUT_CLAMPED' },
    );
  }

  private openSession(): Promise<ZooKeeperSession> {
    if (this.opening === undefined) {
      this.opening = (async () => {
        try {
          // Read on every session, so a rotated password file is picked up by the next session.
          const credentials = this.auth === undefined ? undefined : await loadCredentials(this.auth);
          const client = await this.clientFactory({
            connect: this.connectionString,
            timeout: this.requestedSessionTimeoutMs,
          });
          const session = new ZooKeeperSession(client, credentials);
          session.whenConnected().then(() => this.noteNegotiated(session), noop);
          this.sessionsOpened += 1;
          this.current = session;
          if (this.closed) session.close();
          return session;
        } finally {
          this.opening = undefined;
        }
      })();
    }
    return this.opening;
  }
}
