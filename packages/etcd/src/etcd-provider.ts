import {
  BaseProvider,
  type Capabilities,
  LockBackendError,
  LockError,
  type LockOptions,
  monotonicNow,
  ProviderClosedError,
  type ReadWriteLock,
} from '@lock/core';
import { Etcd3 } from 'etcd3';
import { etcdClientOptions } from './client-options.js';
import { describeServer, type EtcdProviderDescription } from './describe-server.js';
import { etcdCapabilities } from './etcd-capabilities.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdLock } from './etcd-lock.js';
import type { EtcdLockBackend, EtcdLockStats } from './etcd-lock-backend.js';
import {
  type EtcdSecurity,
  type EtcdSecurityFacts,
  explainAccessFailure,
  probeTls,
  readSecurity,
} from './etcd-security.js';
import { hedged } from './hedge.js';
import { exclusiveMode, type KeyMode, permitMode, sharedMode } from './key-mode.js';
import { LocalSlot } from './local-slot.js';
import { type EtcdProviderOptions, parseProviderOptions } from './provider-options.js';
import { type EtcdLockStatus, readStatus } from './read-status.js';
import { type RequestTiming, requestTiming } from './request-timing.js';
import { type EtcdServerInfo, serverInfo, warnLeaseRevocation } from './server-version.js';
import { SessionPool } from './session-pool.js';
import { WatchStream } from './watch-stream.js';

/** gRPC's UNAVAILABLE: no connection (refused, unreachable, or a failed TLS handshake). */
const GRPC_UNAVAILABLE = 14;

/**
 * Makes {@link EtcdLock}s that share one session lease (as Go's `concurrency.Session`), kept alive through
 * core's `LeaseKeeper`. When the session ends (expiry, revocation, or no confirmed keepalive before the safe
 * deadline), every lease of that session aborts its signal and later acquisitions open a new one.
 */
export class EtcdProvider extends BaseProvider<EtcdLock> {
  /** Cluster scope, consensus durability, pushed FIFO waiting, fencing, leases whose length is the session's. */
  readonly capabilities: Capabilities;
  /** The session TTL, in ms. */
  readonly ttlMs: number;
  /** Prefix of every key this provider writes (`''` or ending with `/`). */
  readonly keyPrefix: string;
  /** Counters of waiting and sessions (for the herd check and diagnosis). */
  readonly stats: EtcdLockStats = {
    watchEvents: 0,
    wakeups: 0,
    fallbackWakeups: 0,
    sessionsOpened: 0,
    sessionsLost: 0,
    sessionsRetired: 0,
    revokedHolderWaits: 0,
  };
  /** True when waiters wait out predecessors that vanished with their lease (`waitOutRevokedHolders`). */
  readonly waitOutRevokedHolders: boolean;
  /** The etcd user this provider authenticates as (`auth.username`); undefined without `auth`. */
  readonly authUser: string | undefined;
  private readonly client: EtcdClient;
  private readonly ownsClient: boolean;
  private readonly securityFacts: EtcdSecurityFacts | undefined;
  private readonly credentials: EtcdSecurity['options']['credentials'];
  private readonly endpoints: readonly string[];
  private readonly requestTimeoutMs: number;
  private readonly timing: RequestTiming;
  private readonly closeController = new AbortController();
  private readonly slots = new Map<string, LocalSlot>();
  private readonly watches: WatchStream;
  private readonly backend: EtcdLockBackend;
  private readonly sessions: SessionPool;
  private serverRead: Promise<EtcdServerInfo> | undefined;
  private serverFacts: EtcdServerInfo | undefined;

  /**
   * Checks the options before any I/O (`InvalidArgumentError` naming the field, `options.ttlMs`: the words of
   * the settings schema). Connects lazily.
   */
  constructor(options: EtcdProviderOptions) {
    super();
    const settings = parseProviderOptions(options);
    this.ttlMs = settings.ttlMs;
    // A prefix always ends with '/', so two prefixes (or a prefix and a name) can never run into each other.
    this.keyPrefix =
      settings.prefix === '' || settings.prefix.endsWith('/') ? settings.prefix : `${settings.prefix}/`;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.waitOutRevokedHolders = settings.waitOutRevokedHolders;
    this.capabilities = etcdCapabilities(settings);
    this.timing = requestTiming(this.ttlMs, this.requestTimeoutMs);
    this.ownsClient = settings.client === undefined;
    const security = readSecurity(settings.tls, settings.auth, 'options');
    // A caller's client carries credentials this provider cannot see: its refusals are passed on as they are.
    this.securityFacts = settings.client === undefined ? security.facts : undefined;
    this.credentials = security.options.credentials;
    this.endpoints = settings.endpoints ?? [];
    this.authUser = settings.auth?.username;
    this.client =
      settings.client ??
      new Etcd3({
        ...etcdClientOptions(settings.endpoints ?? [], settings.requestTimeoutMs, this.ttlMs),
        ...security.options,
      });
    this.watches = new WatchStream(this.client, this.timing.slowAfterMs);
    this.sessions = new SessionPool({
      client: this.client,
      ttlMs: this.ttlMs,
      attemptTimeoutMs: this.timing.attemptTimeoutMs,
      stats: this.stats,
      closed: () => this.closed,
      callOptions: () => this.callOptions(),
      explainFailure: (error) => this.diagnose(error),
      // The server's version is read beside the first session, off the acquisition's path.
      onFirstOpen: () => {
        if (this.client.maintenance !== undefined) this.serverInfo().catch(() => undefined);
      },
    });
    this.backend = {
      client: this.client,
      keyPrefix: this.keyPrefix,
      capabilities: this.capabilities,
      waitOutRevokedHolders: this.waitOutRevokedHolders,
      stats: this.stats,
      closeSignal: this.closeController.signal,
      watches: this.watches,
      session: (name) => this.sessions.session(name),
      slot: (name) => this.slot(name),
      call: (send, onResent) => this.call(send, onResent),
    };
  }

  /** The TTL etcd granted to the open session, in ms (always `ttlMs`); `undefined` before the first one. */
  get sessionTtlMs(): number | undefined {
    return this.sessions.ttlMs;
  }

  /**
   * The etcd server's version and known defects, once read: the provider reads them (maintenance status)
   * when it opens its first session, and `serverInfo()` reads them on demand. `undefined` before that, or
   * when the client has no maintenance service.
   */
  get server(): EtcdServerInfo | undefined {
    return this.serverFacts;
  }

  /**
   * Reads the server's version (once; later calls reuse the answer). For a version affected by etcd issue
   * 15247 it emits, once per provider and only without `waitOutRevokedHolders`, a `process` warning with the
   * code `LOCK_ETCD_LEASE_REVOCATION`. Rejects with `LockBackendError` when etcd does not answer.
   */
  serverInfo(): Promise<EtcdServerInfo> {
    if (this.serverRead !== undefined) return this.serverRead;
    const maintenance = this.client.maintenance;
    if (maintenance === undefined) {
      return Promise.reject(
        new LockBackendError('etcd', 'server version', {
          detail: 'the etcd client has no maintenance service to ask (pass an Etcd3 client)',
        }),
      );
    }
    const read: Promise<EtcdServerInfo> = this.backend
      .call((options) => maintenance.status(options))
      .then(
        (status) => {
          const info = serverInfo(status.version);
          this.serverFacts = info;
          if (info.leaseRevocationBug && !this.waitOutRevokedHolders) warnLeaseRevocation(info);
          return info;
        },
        (error: unknown) => {
          // A failed read is tried again by the next caller.
          if (this.serverRead === read) this.serverRead = undefined;
          throw this.backendError('server version', error);
        },
      );
    this.serverRead = read;
    return read;
  }

  /** The lease id of the open session, or `undefined` when none is open. */
  async sessionLeaseId(): Promise<bigint | undefined> {
    return (await this.sessions.current())?.leaseId;
  }

  /**
   * Reads `name`'s queue from etcd: the holder (lowest create revision, its create revision as token) and the
   * waiters in grant order, with the keys' leases and the server's version in `details`. Keys of `etcdctl lock
   * NAME` are listed too. Rejects with `LockBackendError` (the gRPC error as `cause`) when etcd fails.
   */
  async status(name: string): Promise<EtcdLockStatus> {
    const lock = this.lock(name);
    return readStatus(
      this.backend,
      name,
      lock.keyPrefix,
      this.serverInfo().catch(() => null),
    ).catch((error: unknown) => {
      throw this.backendError('status', error, name);
    });
  }

  /**
   * The server in words and what a caller should know about it, for `lock explain` and `lock status`: its
   * version, and a warning when it is affected by etcd issue 15247 and this provider does not wait out revoked
   * holders. Reads the version once (see {@link serverInfo}); rejects with `LockBackendError` when etcd does
   * not answer.
   */
  async describe(): Promise<EtcdProviderDescription> {
    return describeServer(await this.serverInfo(), this);
  }

  protected createLock(name: string, options: LockOptions | undefined): EtcdLock {
    // Core has checked options.ttlMs against capabilities.ttl: it is the session's, or absent.
    return new EtcdLock(name, this.backend, { ...options, defaultTtlMs: this.ttlMs, owner: this });
  }

  /**
   * etcd's recipe RWMutex on the lock's own keys: the writer is `lock(name)` itself (Go's mutex key), so a
   * `lock()`, `etcdctl lock NAME` and the write side of a read-write lock of one name exclude each other and
   * the readers. Readers put `NAME/read/...` keys and wait on the last writer before them.
   */
  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    return {
      name,
      read: this.lockInMode(name, sharedMode, options),
      write: this.lockInMode(name, exclusiveMode, options),
    };
  }

  /**
   * A semaphore on `NAME/sem/...` keys whose value is `permits`: the first `permits` keys by create revision
   * hold. An acquisition whose `permits` differ from the oldest key's rejects with `PermitsMismatchError`.
   */
  protected override createSemaphore(
    name: string,
    permits: number,
    options: LockOptions | undefined,
  ): EtcdLock {
    return this.lockInMode(name, permitMode(permits), options);
  }

  /** A lock of `name` that queues as `mode` says (tests hand it broken modes). @internal */
  protected lockInMode(name: string, mode: KeyMode, options: LockOptions | undefined): EtcdLock {
    // Core has checked options.ttlMs against capabilities.ttl: it is the session's, or absent.
    return new EtcdLock(name, this.backend, { ...options, defaultTtlMs: this.ttlMs, owner: this }, mode);
  }

  protected async closeBackend(): Promise<void> {
    // Waiters listen to this signal and reject with an error naming their lock (see contend).
    this.closeController.abort(new ProviderClosedError('etcd', 'acquire'));
    this.watches.close();
    for (const slot of this.slots.values())
      slot.rejectAll(new ProviderClosedError('etcd', 'acquire', slot.name));
    await this.sessions.close();
    if (this.ownsClient) this.client.close();
  }

  /** {@link EtcdLockBackend.call}. */
  private call<T>(
    send: (options: { deadline: number } | undefined) => Promise<T>,
    onResent?: () => void,
  ): Promise<T> {
    const sentAt = monotonicNow();
    const answer = hedged(() => send(this.callOptions()), this.timing.slowAfterMs, onResent).catch(
      async (error: unknown) => {
        throw await this.diagnose(error);
      },
    );
    if (onResent === undefined) return answer;
    // Longer than one attempt may take: an attempt timed out and etcd3 sent the request again.
    const checkDuration = () => {
      if (monotonicNow() - sentAt >= this.timing.attemptTimeoutMs) onResent();
    };
    answer.then(checkDuration, checkDuration);
    return answer;
  }

  private backendError(operation: string, error: unknown, lockName?: string): unknown {
    if (LockError.isInstance(error)) return error;
    return new LockBackendError('etcd', operation, { lockName, cause: this.explain(error) });
  }

  /**
   * {@link explain}, and when a TLS connection failed without saying why, the reason a handshake of our own
   * meets (only then: this is a failure path).
   */
  private async diagnose(error: unknown): Promise<unknown> {
    const explained = this.explain(error);
    if (explained !== error || this.securityFacts?.tls !== true || this.credentials === undefined)
      return explained;
    if (
      (error as { code?: unknown } | null)?.code !== GRPC_UNAVAILABLE &&
      !/UNAVAILABLE/.test(String(error))
    ) {
      return error;
    }
    const found = await probeTls(this.endpoints, this.credentials).catch(() => undefined);
    if (found === undefined) return error;
    const described = new Error(`${(error as Error).message} (a TLS handshake of our own: ${found})`, {
      cause: error,
    });
    return explainAccessFailure(described, this.securityFacts) ?? error;
  }

  /** `error`, or an `EtcdAccessError` naming the setting to fix when etcd refused this provider's credentials. */
  private explain(error: unknown): unknown {
    return this.securityFacts === undefined
      ? error
      : (explainAccessFailure(error, this.securityFacts) ?? error);
  }

  /**
   * Per-call options: none for our own client (its default gives each attempt a fresh deadline), a deadline for
   * a caller's client (gRPC takes wall-clock deadlines).
   */
  private callOptions(): { deadline: number } | undefined {
    return this.ownsClient ? undefined : { deadline: Date.now() + this.requestTimeoutMs };
  }

  private slot(name: string): LocalSlot {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      const created = new LocalSlot(name, () => {
        if (this.slots.get(name) === created) this.slots.delete(name);
      });
      slot = created;
      this.slots.set(name, slot);
    }
    return slot;
  }
}
