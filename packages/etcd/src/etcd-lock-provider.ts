import {
  BaseProvider,
  type Capabilities,
  LockBackendError,
  LockError,
  type LockOptions,
  monotonicNow,
  ProviderClosedError,
} from '@lock/core';
import { Etcd3 } from 'etcd3';
import { etcdClientOptions } from './client-options.js';
import { etcdCapabilities } from './etcd-capabilities.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdLock } from './etcd-lock.js';
import type { EtcdLockBackend, EtcdLockStats } from './etcd-lock-backend.js';
import { validateSettings } from './etcd-settings.js';
import { hedged } from './hedge.js';
import { LocalSlot } from './local-slot.js';
import { prefixRangeEnd } from './lock-key.js';
import { type RequestTiming, requestTiming } from './request-timing.js';
import { type EtcdServerInfo, serverInfo, warnLeaseRevocation } from './server-version.js';
import { SessionPool } from './session-pool.js';
import { WatchStream } from './watch-stream.js';

/** Options of an {@link EtcdLockProvider}. */
export interface EtcdLockProviderOptions {
  /** etcd client URLs (`http://127.0.0.1:2379`); the provider creates and closes its own client. */
  endpoints?: readonly string[] | undefined;
  /**
   * A client you built (`new Etcd3(etcdClientOptions(endpoints, requestTimeoutMs, ttlMs))`); used as is and
   * never closed by the provider.
   */
  client?: EtcdClient | undefined;
  /**
   * Session lease TTL in ms, whole seconds, at least 2000. Default 10,000 (etcdctl's). It bounds how long a
   * crashed holder blocks others.
   */
  ttlMs?: number | undefined;
  /** Prepended to every lock's key prefix; a `/` is appended when missing. Default `''` (etcdctl's keys). */
  prefix?: string | undefined;
  /** Bound on one attempt of one etcd request, in ms (a third of `ttlMs` at most). Default 5,000. */
  requestTimeoutMs?: number | undefined;
  /**
   * Opt-in mitigation of etcd issue 15247 (etcd before 3.4.28 / 3.5.11; see `server`): a waiter whose
   * predecessor's key vanishes together with its lease (revoked or expired, not deleted by its owner) waits
   * out that holder's TTL plus drift before it takes the lock. Costs a lease read per watched key (off the
   * handoff path), and a TTL of waiting after every holder that crashed or closed its session right after
   * releasing. Protects only when every contender uses it. Default false.
   */
  waitOutRevokedHolders?: boolean | undefined;
}

/** One entry in a lock's etcd queue. */
export interface EtcdLockEntry {
  /** The etcd key (`<prefix><name>/<lease hex>`). */
  key: string;
  /** Its create revision: the fencing token it has or will have as holder. */
  token: bigint;
  /** The lease that carries it (its session). */
  leaseId: bigint;
}

/** A lock's state as etcd sees it, for `lock status`. */
export interface EtcdLockStatus {
  /** The lock name that was asked about. */
  name: string;
  /** The key prefix contended on (`etcdctl lock` uses the same one for the same name). */
  keyPrefix: string;
  /** The key with the lowest create revision, or `null` when nobody holds or waits. */
  owner: EtcdLockEntry | null;
  /** Waiting keys in grant order. */
  waiters: EtcdLockEntry[];
  /** The etcd revision the answer was read at. */
  revision: bigint;
  /** The server's version and known defects, or `null` when it could not be read. */
  server: EtcdServerInfo | null;
}

/**
 * Makes {@link EtcdLock}s that share one session lease (as Go's `concurrency.Session`), kept alive through
 * core's `LeaseKeeper`. When the session ends (expiry, revocation, or no confirmed keepalive before the safe
 * deadline), every lease of that session aborts its signal and later acquisitions open a new one.
 */
export class EtcdLockProvider extends BaseProvider<EtcdLock> {
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
  private readonly client: EtcdClient;
  private readonly ownsClient: boolean;
  private readonly requestTimeoutMs: number;
  private readonly timing: RequestTiming;
  private readonly closeController = new AbortController();
  private readonly slots = new Map<string, LocalSlot>();
  private readonly watches: WatchStream;
  private readonly backend: EtcdLockBackend;
  private readonly sessions: SessionPool;
  private serverRead: Promise<EtcdServerInfo> | undefined;
  private serverFacts: EtcdServerInfo | undefined;

  /** Checks the options before any I/O (`InvalidArgumentError` naming the field). Connects lazily. */
  constructor(options: EtcdLockProviderOptions) {
    super();
    const settings = validateSettings(options, 'options', true);
    this.ttlMs = settings.ttlMs;
    this.keyPrefix = settings.prefix;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.waitOutRevokedHolders = settings.waitOutRevokedHolders;
    this.capabilities = etcdCapabilities(this.ttlMs);
    this.timing = requestTiming(this.ttlMs, this.requestTimeoutMs);
    this.ownsClient = settings.client === undefined;
    this.client =
      settings.client ??
      new Etcd3(etcdClientOptions(settings.endpoints as string[], settings.requestTimeoutMs, this.ttlMs));
    this.watches = new WatchStream(this.client, this.timing.slowAfterMs);
    this.sessions = new SessionPool({
      client: this.client,
      ttlMs: this.ttlMs,
      attemptTimeoutMs: this.timing.attemptTimeoutMs,
      stats: this.stats,
      closed: () => this.closed,
      callOptions: () => this.callOptions(),
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
   * Reads `name`'s queue from etcd: owner (lowest create revision) and waiters in grant order, with the
   * server's version. Rejects with `LockBackendError` (the gRPC error as `cause`) when etcd fails.
   */
  async status(name: string): Promise<EtcdLockStatus> {
    const lock = this.lock(name);
    const prefix = Buffer.from(lock.keyPrefix);
    const [reply, server] = await Promise.all([
      this.backend
        .call((options) =>
          this.client.kv.range(
            {
              key: prefix,
              range_end: prefixRangeEnd(prefix),
              sort_target: 'Create',
              sort_order: 'Ascend',
              keys_only: true,
            },
            options,
          ),
        )
        .catch((error: unknown) => {
          throw this.backendError('status', error, name);
        }),
      this.serverInfo().catch(() => null),
    ]);
    const entries = reply.kvs.map((kv) => ({
      key: kv.key.toString(),
      token: BigInt(kv.create_revision),
      leaseId: BigInt(kv.lease),
    }));
    return {
      name,
      keyPrefix: lock.keyPrefix,
      owner: entries[0] ?? null,
      waiters: entries.slice(1),
      revision: BigInt(reply.header.revision),
      server,
    };
  }

  protected createLock(name: string, options: LockOptions | undefined): EtcdLock {
    // Core has checked options.ttlMs against capabilities.ttl: it is the session's, or absent.
    return new EtcdLock(name, this.backend, { ...options, defaultTtlMs: this.ttlMs, owner: this });
  }

  protected async closeBackend(): Promise<void> {
    // Waiters listen to this signal and reject with an error naming their lock (see waitSignal).
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
    const answer = hedged(() => send(this.callOptions()), this.timing.slowAfterMs, onResent);
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
    return new LockBackendError('etcd', operation, { lockName, cause: error });
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
