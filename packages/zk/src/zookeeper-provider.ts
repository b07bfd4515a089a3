import {
  BaseProvider,
  type Capabilities,
  InvalidArgumentError,
  LockBackendError,
  type LockOptions,
  monotonicNow,
  validateLockName,
  validatePositiveMs,
} from '@lock/core';
import { defaultClientFactory } from './default-client-factory.js';
import { sortLockNodes } from './lock-node.js';
import { DEFAULT_ROOT, lockParentPath, validateRoot } from './lock-path.js';
import type { ZooKeeperClientFactory } from './zookeeper-client.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import { ZooKeeperLock, type ZooKeeperLockHost } from './zookeeper-lock.js';
import { ZooKeeperSession } from './zookeeper-session.js';

/** Options of a {@link ZooKeeperProvider}. */
export interface ZooKeeperProviderOptions {
  /** Servers, `host:port,host:port[/chroot]`. */
  connectionString: string;
  /**
   * Requested session timeout in ms (default 10,000). The server clamps it to [2, 20] × its tickTime without
   * notice; read the negotiated value from `provider.sessionTimeoutMs`.
   */
  sessionTimeoutMs?: number | undefined;
  /** Path under which every lock gets its parent node (default `/locks`). */
  root?: string | undefined;
  /** How long an acquisition waits for the first connection of a session before failing, in ms (default 15,000). */
  connectTimeoutMs?: number | undefined;
  /** Makes the native client; default: a `zookeeper` package client. Called once per session. */
  clientFactory?: ZooKeeperClientFactory | undefined;
}

/** One entry of a lock's queue, as {@link ZooKeeperProvider.status} reports it. */
export interface ZooKeeperQueueEntry {
  /** Node name (`_c_<guid>-lock-<sequence>`). */
  readonly node: string;
  /** The node's czxid: the fencing token this entry holds or will hold. */
  readonly token: bigint;
  /** Session id (hex) owning the ephemeral node. */
  readonly sessionId: string;
}

/** What {@link ZooKeeperProvider.status} reports for one lock. */
export interface ZooKeeperLockStatus {
  readonly name: string;
  /** The lock's parent node. */
  readonly path: string;
  /** The node first in sequence order, or null when free. */
  readonly holder: ZooKeeperQueueEntry | null;
  /** The other nodes, in the order they will be granted. */
  readonly waiters: readonly ZooKeeperQueueEntry[];
}

const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/**
 * Checks a ZooKeeper connection string: one or more `host:port`, comma-separated, with an optional chroot
 * path after the last one.
 */
export function validateConnectionString(
  value: unknown,
  parameter = 'connectionString',
): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(parameter, value, 'a non-empty "host:port,host:port" string');
  }
  const slash = value.indexOf('/');
  const hosts = slash < 0 ? value : value.slice(0, slash);
  if (slash >= 0) validateRoot(value.slice(slash), `${parameter} (chroot)`);
  hosts.split(',').forEach((entry, index) => {
    const match = HOST_PORT.exec(entry.trim());
    const port = match === null ? 0 : Number(match[2]);
    if (match === null || port < 1 || port > 65_535) {
      throw new InvalidArgumentError(
        `${parameter}[${index}]`,
        entry,
        'host:port with a port from 1 to 65535',
      );
    }
  });
}

/**
 * Locks on ZooKeeper. One session (one native client) per provider, shared by its locks; when the session
 * is lost it is closed and the next acquisition opens a new one. Close the provider to end the session.
 */
export class ZooKeeperProvider extends BaseProvider<ZooKeeperLock> implements ZooKeeperLockHost {
  readonly capabilities: Capabilities;
  readonly connectionString: string;
  readonly root: string;
  /** Session timeout requested from the server, in ms. */
  readonly requestedSessionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  private readonly clientFactory: ZooKeeperClientFactory;
  private current: ZooKeeperSession | undefined;
  private opening: Promise<ZooKeeperSession> | undefined;
  private sessionsOpened = 0;
  private clampWarned = false;

  constructor(options: ZooKeeperProviderOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', options, 'an options object with a connectionString');
    }
    validateConnectionString(options.connectionString, 'options.connectionString');
    const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    validatePositiveMs('options.sessionTimeoutMs', sessionTimeoutMs);
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    validatePositiveMs('options.connectTimeoutMs', connectTimeoutMs);
    const root = options.root ?? DEFAULT_ROOT;
    validateRoot(root, 'options.root');
    if (options.clientFactory !== undefined && typeof options.clientFactory !== 'function') {
      throw new InvalidArgumentError(
        'options.clientFactory',
        options.clientFactory,
        'a function returning a client',
      );
    }
    this.connectionString = options.connectionString;
    this.requestedSessionTimeoutMs = sessionTimeoutMs;
    this.connectTimeoutMs = connectTimeoutMs;
    this.root = root;
    this.clientFactory = options.clientFactory ?? defaultClientFactory;
    const servers = options.connectionString.split('/')[0]!.split(',').length;
    this.capabilities = Object.freeze({
      backend: 'zk',
      scope: 'cluster',
      // A standalone server is a quorum of one: its loss loses every lock.
      durability: servers > 1 ? 'consensus' : 'single-node',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
      // Every lease lives as long as the session: the only lease length is the session's.
      ttl: { setBy: 'session', minMs: sessionTimeoutMs, stepMs: 1, sessionTtlMs: sessionTimeoutMs },
    } as const);
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
    const waitSignal = signal === undefined ? connectTimeout : AbortSignal.any([signal, connectTimeout]);
    try {
      await session.whenConnected(waitSignal);
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
    }
    return session;
  }

  /**
   * The queue of one lock as the server sees it: holder (first in sequence order) and waiters in order,
   * each with its token (czxid) and owning session. For `lock status`.
   */
  async status(name: string): Promise<ZooKeeperLockStatus> {
    validateLockName(name);
    const path = this.parentPath(name);
    const session = await this.session(undefined, name);
    try {
      let children: string[];
      try {
        children = await session.retrying(() => session.getChildren(path));
      } catch (error) {
        if (!(error instanceof ZooKeeperError && error.code === ZK.NONODE)) throw error;
        children = [];
      }
      const stats = await Promise.all(
        sortLockNodes(children).map(async (node) => {
          const stat = await session.retrying(() => session.exists(`${path}/${node}`));
          return stat === null
            ? undefined
            : { node, token: BigInt(stat.czxid), sessionId: stat.ephemeralOwner };
        }),
      );
      const entries = stats.filter((entry): entry is ZooKeeperQueueEntry => entry !== undefined);
      return { name, path, holder: entries[0] ?? null, waiters: entries.slice(1) };
    } catch (error) {
      throw new LockBackendError('zk', 'status', { lockName: name, cause: error });
    }
  }

  protected createLock(name: string, options: LockOptions | undefined): ZooKeeperLock {
    return new ZooKeeperLock(name, this, options);
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
          const client = await this.clientFactory({
            connect: this.connectionString,
            timeout: this.requestedSessionTimeoutMs,
          });
          const session = new ZooKeeperSession(client);
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

function noop(): void {}
