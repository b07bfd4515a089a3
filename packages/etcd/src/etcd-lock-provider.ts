import { BaseProvider, type Capabilities, type LockOptions, ProviderClosedError } from '@lock/core';
import { Etcd3 } from 'etcd3';
import { etcdClientOptions } from './client-options.js';
import type { EtcdClient } from './etcd-client.js';
import {
  ETCD_CAPABILITIES,
  EtcdLock,
  type EtcdLockBackend,
  type EtcdLockStats,
  sessionTtlMismatch,
} from './etcd-lock.js';
import { EtcdSession } from './etcd-session.js';
import { ttlSeconds, validateSettings } from './etcd-settings.js';
import { LocalSlot } from './local-slot.js';
import { prefixRangeEnd } from './lock-key.js';

/** Options of an {@link EtcdLockProvider}. */
export interface EtcdLockProviderOptions {
  /** etcd client URLs (`http://127.0.0.1:2379`); the provider creates and closes its own client. */
  endpoints?: readonly string[] | undefined;
  /** A client you built (`new Etcd3({ hosts })`); used as is and never closed by the provider. */
  client?: EtcdClient | undefined;
  /**
   * Session lease TTL in ms, whole seconds, at least 1000. Default 10,000 (etcdctl's). It bounds how long a
   * crashed holder blocks others. etcd raises TTLs below its minimum (2 s) silently: read `sessionTtlMs`.
   */
  ttlMs?: number | undefined;
  /** Prepended to every lock's key prefix; a `/` is appended when missing. Default `''` (etcdctl's keys). */
  prefix?: string | undefined;
  /** Bound on one etcd request, in ms. Default 5,000. */
  requestTimeoutMs?: number | undefined;
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
}

/**
 * Makes {@link EtcdLock}s that share one session lease per TTL (as Go's `concurrency.Session`), kept alive
 * through core's `LeaseKeeper`. When the session ends (expiry, revocation, or no confirmed keepalive before
 * the safe deadline), every lease of that session aborts its signal and later acquisitions open a new one.
 */
export class EtcdLockProvider extends BaseProvider<EtcdLock> {
  /** {@link ETCD_CAPABILITIES}: cluster scope, consensus durability, pushed FIFO waiting, fencing, leases. */
  readonly capabilities: Capabilities = ETCD_CAPABILITIES;
  /** The session TTL asked for, in ms. */
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
  };
  private readonly client: EtcdClient;
  private readonly ownsClient: boolean;
  private readonly requestTimeoutMs: number;
  private readonly closeController = new AbortController();
  private readonly sessions = new Map<number, Promise<EtcdSession>>();
  private readonly slots = new Map<string, LocalSlot>();
  private readonly grantedTtlMs = new Map<number, number>();
  private readonly backend: EtcdLockBackend;
  private idleWatcher: { cancel(): Promise<void> } | undefined;

  /** Checks the options before any I/O (`InvalidArgumentError` naming the field). Connects lazily. */
  constructor(options: EtcdLockProviderOptions) {
    super();
    const settings = validateSettings(options, 'options', true);
    this.ttlMs = settings.ttlMs;
    this.keyPrefix = settings.prefix;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.ownsClient = settings.client === undefined;
    this.client =
      settings.client ??
      new Etcd3(etcdClientOptions(settings.endpoints as string[], settings.requestTimeoutMs));
    this.backend = {
      client: this.client,
      keyPrefix: this.keyPrefix,
      ttlMs: this.ttlMs,
      requestTimeoutMs: this.requestTimeoutMs,
      stats: this.stats,
      closeSignal: this.closeController.signal,
      session: (seconds, name) => this.session(seconds, name),
      slot: (seconds, name) => this.slot(seconds, name),
      keepWatchStream: () => this.keepWatchStream(),
      callOptions: () => this.callOptions(),
    };
  }

  /**
   * The TTL etcd granted to the provider's default session, in ms (at least 2,000 on etcd 3.4 even when
   * less was asked); `undefined` before the first acquisition opened it.
   */
  get sessionTtlMs(): number | undefined {
    return this.grantedTtlMs.get(this.ttlMs / 1000);
  }

  /** The lease id of the default session, or `undefined` when none is open. */
  async sessionLeaseId(): Promise<bigint | undefined> {
    const pending = this.sessions.get(this.ttlMs / 1000);
    if (pending === undefined) return undefined;
    const session = await pending.catch(() => undefined);
    return session === undefined || session.lost ? undefined : session.leaseId;
  }

  /** Reads `name`'s queue from etcd: owner (lowest create revision) and waiters in grant order. */
  async status(name: string): Promise<EtcdLockStatus> {
    const lock = this.lock(name);
    const prefix = Buffer.from(lock.keyPrefix);
    const reply = await this.client.kv.range(
      {
        key: prefix,
        range_end: prefixRangeEnd(prefix),
        sort_target: 'Create',
        sort_order: 'Ascend',
        keys_only: true,
      },
      this.callOptions(),
    );
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
    };
  }

  protected createLock(name: string, options: LockOptions | undefined): EtcdLock {
    if (options?.ttlMs !== undefined) {
      ttlSeconds(options.ttlMs, 'options.ttlMs', name);
      if (options.ttlMs !== this.ttlMs) throw sessionTtlMismatch(options.ttlMs, this.ttlMs, name);
    }
    return new EtcdLock(name, this.backend, { ...options, defaultTtlMs: this.ttlMs, owner: this });
  }

  protected async closeBackend(): Promise<void> {
    // Waiters listen to this signal and reject with an error naming their lock (see waitSignal).
    this.closeController.abort(new ProviderClosedError('etcd', 'acquire'));
    if (this.idleWatcher !== undefined) await this.bounded(this.idleWatcher.cancel());
    for (const slot of this.slots.values())
      slot.rejectAll(new ProviderClosedError('etcd', 'acquire', slot.name));
    const pending = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(pending.map((session) => session.then((open) => open.close(), noop)));
    if (this.ownsClient) this.client.close();
  }

  /**
   * Waits for `work` at most one request timeout. etcd3's `watcher.cancel()` never settles for a watch etcd
   * refused (a user without read permission on the idle-watch key), and close() must not hang on it.
   */
  private async bounded(work: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      work.catch(noop),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.requestTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Per-call options: none for our own client (its default gives each attempt a fresh deadline), a deadline for
   * a caller's client.
   */
  private callOptions(): { deadline: number } | undefined {
    return this.ownsClient ? undefined : { deadline: Date.now() + this.requestTimeoutMs };
  }

  /** The open session for `seconds`, opening one if there is none or the last one ended. */
  private async session(seconds: number, name: string): Promise<EtcdSession> {
    for (;;) {
      if (this.closed) throw new ProviderClosedError('etcd', 'acquire', name);
      let pending = this.sessions.get(seconds);
      if (pending === undefined) {
        pending = this.openSession(seconds);
        this.sessions.set(seconds, pending);
      }
      const session = await pending;
      if (!session.lost) return session;
      if (this.sessions.get(seconds) === pending) this.sessions.delete(seconds);
    }
  }

  private openSession(seconds: number): Promise<EtcdSession> {
    const pending: Promise<EtcdSession> = EtcdSession.open(this.client, seconds, this.requestTimeoutMs, () =>
      this.callOptions(),
    ).then(
      (session) => {
        this.stats.sessionsOpened += 1;
        this.grantedTtlMs.set(seconds, session.ttlMs);
        session.onLost((reason) => {
          if (this.sessions.get(seconds) === pending) this.sessions.delete(seconds);
          if (reason === 'closed') return;
          this.stats.sessionsLost += 1;
          // An unconfirmed lease may still live on the server: revoke it so its keys stop blocking others.
          void session.revoke();
        });
        if (this.closed) {
          void session.close();
        }
        return session;
      },
      (error: unknown) => {
        if (this.sessions.get(seconds) === pending) this.sessions.delete(seconds);
        throw error;
      },
    );
    return pending;
  }

  /**
   * etcd3 tears its watch stream down whenever its last watcher is cancelled (a waiter woke up), and the next
   * waiter's watch must then wait for a new stream, behind a reconnect backoff that grows with each teardown.
   * One idle watcher on a key nobody writes keeps the stream open while the provider lives; it is created by the
   * first waiter, so an uncontended provider never opens a watch stream.
   */
  private keepWatchStream(): void {
    if (this.idleWatcher !== undefined || this.closed) return;
    const watcher = this.client.watch().key(IDLE_WATCH_KEY).watcher();
    watcher.on('error', noop);
    this.idleWatcher = watcher;
  }

  private slot(seconds: number, name: string): LocalSlot {
    const id = `${seconds}\0${name}`;
    let slot = this.slots.get(id);
    if (slot === undefined) {
      const created = new LocalSlot(name, () => {
        if (this.slots.get(id) === created) this.slots.delete(id);
      });
      slot = created;
      this.slots.set(id, slot);
    }
    return slot;
  }
}

/** A key no lock ever writes (it starts with a NUL byte, which lock names cannot contain). */
const IDLE_WATCH_KEY = Buffer.from('\u0000@lock/etcd idle watch', 'utf8');

function noop(): void {}
