import { LeaseKeeper, monotonicNow, noop } from '@lock/core';
import { CREATOR_ALL_ACL, type ZooKeeperCredentials } from './zk-auth.js';
import type { WatchCallback, ZooKeeperClient, ZooKeeperStat } from './zookeeper-client.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';

/** Share of the negotiated session timeout after which an unconfirmed session is presumed lost (Curator's rule). */
export const SAFE_SESSION_FRACTION = 2 / 3;

/** Where a session stands. `disconnected` is Curator's SUSPENDED: in doubt, not yet lost. */
export type ZooKeeperSessionState = 'connecting' | 'connected' | 'disconnected' | 'lost';

type Listener<T> = (value: T) => void;

/**
 * One ZooKeeper session, on one native client, shared by every lock of a provider.
 *
 * It tracks the connection the way Curator does: a disconnect puts the session in doubt; a reconnect in
 * time keeps it; an expiry, or no confirmed contact with the server for {@link SAFE_SESSION_FRACTION} of the
 * negotiated timeout, loses it. The second rule runs on this process's monotonic clock (a core
 * `LeaseKeeper` whose "renewal" is a cheap read), so a half-open connection that never produces an event
 * still ends the session before the server can expire it and hand its locks to others. A lost session is
 * closed and never used again (the native addon must not be reused after close); the provider opens a new
 * one for later acquisitions.
 */
export class ZooKeeperSession {
  /** The native client. */
  readonly client: ZooKeeperClient;
  /** Aborts (with the cause) when the session is lost or closed. */
  readonly lostSignal: AbortSignal;
  /** The digest user this session authenticates as; undefined when it does not authenticate. */
  readonly authUser: string | undefined;
  /** False once the server refused a container node; parents are then persistent and removed when empty. */
  containers = true;
  private currentState: ZooKeeperSessionState = 'connecting';
  private readonly lostController = new AbortController();
  private readonly connectedWaiters = new Set<Listener<void>>();
  private readonly reconnectListeners = new Set<Listener<void>>();
  private readonly lostListeners = new Set<Listener<Error>>();
  private keeper: LeaseKeeper | undefined;
  private negotiatedTimeoutMs: number | undefined;
  private disconnectedAt: number;
  private clientClosed = false;
  private markClientDone: () => void = noop;
  private readonly clientDone = new Promise<void>((resolve) => {
    this.markClientDone = resolve;
  });
  private readonly onConnect = (): void => this.connected();
  private readonly onConnecting = (): void => this.disconnected();
  private readonly onClose = (_client: unknown, code: unknown): void => this.closedByClient(code);

  /**
   * With `credentials`, the session authenticates (the native client presents them again after every
   * reconnection) and {@link protect} gives the nodes it creates the "creator all" ACL. A refused
   * authentication loses the session with an error naming the scheme and user, never the password.
   */
  constructor(client: ZooKeeperClient, credentials?: ZooKeeperCredentials) {
    this.client = client;
    this.lostSignal = this.lostController.signal;
    this.disconnectedAt = monotonicNow();
    this.authUser = credentials?.username;
    client.on('connect', this.onConnect);
    client.on('connecting', this.onConnecting);
    client.on('close', this.onClose as (...args: unknown[]) => void);
    client.init({});
    if (credentials !== undefined) this.authenticate(credentials);
  }

  get state(): ZooKeeperSessionState {
    return this.currentState;
  }

  /** True once the session is lost or closed. */
  get lost(): boolean {
    return this.currentState === 'lost';
  }

  /** Session timeout negotiated with the server, in ms; undefined until first connected. */
  get sessionTimeoutMs(): number | undefined {
    return this.negotiatedTimeoutMs;
  }

  /** Session id (hex), once connected. */
  get sessionId(): string | undefined {
    return this.negotiatedTimeoutMs === undefined || this.clientClosed ? undefined : this.client.client_id;
  }

  /** True once the session was established at least once (a session lost before that never held anything). */
  get established(): boolean {
    return this.negotiatedTimeoutMs !== undefined;
  }

  /** Monotonic time after which the session must be presumed lost unless contact is confirmed again. */
  get safeDeadline(): number | undefined {
    return this.keeper?.safeDeadline;
  }

  /** Resolves once connected; rejects when the session is lost or `signal` aborts. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.currentState === 'connected') return Promise.resolve();
    if (this.lost) return Promise.reject(this.lostSignal.reason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.connectedWaiters.delete(onConnected);
        this.lostListeners.delete(onLost);
        signal?.removeEventListener('abort', onAbort);
      };
      const onConnected = (): void => {
        done();
        resolve();
      };
      const onLost = (cause: Error): void => {
        done();
        reject(cause);
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      this.connectedWaiters.add(onConnected);
      this.lostListeners.add(onLost);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Calls `listener` after every reconnection within the session; returns the unsubscribe function. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Calls `listener` once when the session is lost (at once, asynchronously, if it already is). */
  onLost(listener: (cause: Error) => void): () => void {
    if (this.lost) {
      let active = true;
      queueMicrotask(() => {
        if (active) listener(this.lostSignal.reason as Error);
      });
      return () => {
        active = false;
      };
    }
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** `create`; resolves with the created path. */
  create(path: string, flags: number): Promise<string> {
    return this.request<string>('create', path, (done) =>
      this.client.a_create(path, '', flags, (rc, _error, created) => done(rc, created)),
    );
  }

  /** `exists` without a watch; `null` when the node does not exist. */
  exists(path: string): Promise<ZooKeeperStat | null> {
    return this.request<ZooKeeperStat | null>(
      'exists',
      path,
      (done) => this.client.a_exists(path, false, (rc, _error, stat) => done(rc, stat)),
      ZK.NONODE,
    );
  }

  /**
   * `getData` with a data watch (visible in `wchp`); `null` when the node does not exist, in which case no
   * watch is left behind (unlike `exists`, which would watch for the node's creation).
   */
  watchData(path: string, watcher: WatchCallback): Promise<ZooKeeperStat | null> {
    return this.request<ZooKeeperStat | null>(
      'getData',
      path,
      (done) => this.client.aw_get(path, watcher, (rc, _error, stat) => done(rc, stat)),
      ZK.NONODE,
    );
  }

  /** `getChildren` without a watch (unordered, as the server returns them). */
  getChildren(path: string): Promise<string[]> {
    return this.request<string[]>('getChildren', path, (done) =>
      this.client.a_get_children(path, false, (rc, _error, children) => done(rc, children)),
    );
  }

  /**
   * `getChildren` with a one-shot child watch (a child created or deleted fires it; visible in `wchc`).
   */
  watchChildren(path: string, watcher: WatchCallback): Promise<string[]> {
    return this.request<string[]>('getChildren', path, (done) =>
      this.client.aw_get_children(path, watcher, (rc, _error, children) => done(rc, children)),
    );
  }

  /** `setData` of any version: fires the data watches on `path`. */
  setData(path: string, data: string): Promise<ZooKeeperStat> {
    return this.request<ZooKeeperStat>('setData', path, (done) =>
      this.client.a_set(path, data, -1, (rc, _error, stat) => done(rc, stat)),
    );
  }

  /**
   * Gives a node this session created the "creator all" ACL, when the session authenticates (else does
   * nothing): only this identity may then create or delete children, write data or change the ACL. Safe to
   * repeat.
   */
  async protect(path: string): Promise<void> {
    if (this.authUser === undefined) return;
    await this.request<void>('setACL', path, (done) =>
      this.client.a_set_acl(path, -1, [...CREATOR_ALL_ACL], (rc) => done(rc, undefined)),
    );
  }

  /** `delete` of any version; resolves false when the node did not exist. */
  delete(path: string): Promise<boolean> {
    return this.request<boolean>(
      'delete',
      path,
      (done) => this.client.a_delete_(path, -1, (rc) => done(rc, rc === ZK.OK)),
      ZK.NONODE,
      false,
    );
  }

  /**
   * Runs `operation`, and after a connection loss (outcome unknown) runs it again once reconnected, for as
   * long as the session lives. `operation` must be safe to repeat.
   */
  async retrying<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof ZooKeeperError) || !error.connectionLoss || this.lost) throw error;
        await this.whenConnected(signal);
      }
    }
  }

  /**
   * Closes the session (its ephemeral nodes go at once when the server is reachable). Idempotent; resolves
   * once the native client has closed its socket.
   */
  close(cause?: Error): Promise<void> {
    this.lose(cause ?? new ZooKeeperError('close', '/', ZK.CLOSING, 'the session was closed'));
    return this.clientDone;
  }

  /**
   * One request. `missingCode`/`missingValue`: a return code that is an answer, not an error (NONODE).
   * A closed client is never touched: the native addon may crash when a closed instance is reused.
   */
  private request<T>(
    operation: string,
    path: string,
    start: (done: (rc: number, value: unknown) => void) => number,
    missingCode?: number,
    missingValue: unknown = null,
  ): Promise<T> {
    if (this.clientClosed) {
      return Promise.reject(new ZooKeeperError(operation, path, ZK.SESSIONEXPIRED, 'the session is closed'));
    }
    return new Promise<T>((resolve, reject) => {
      const queued = start((rc, value) => {
        if (rc === ZK.OK) resolve(value as T);
        else if (rc === missingCode) resolve(missingValue as T);
        else reject(new ZooKeeperError(operation, path, rc, this.refusalDetail(rc)));
      });
      // A request the client refused at once never calls back.
      if (typeof queued === 'number' && queued !== ZK.OK) reject(new ZooKeeperError(operation, path, queued));
    });
  }

  /** What a refusal means for this session: who was refused (never with the password). */
  private refusalDetail(rc: number): string | undefined {
    if (rc !== ZK.NOAUTH) return undefined;
    return this.authUser === undefined
      ? '(the ACL requires credentials and this provider has no auth setting)'
      : `(the ACL does not admit digest user ${JSON.stringify(this.authUser)}: a wrong password, or nodes created by another user)`;
  }

  private authenticate(credentials: ZooKeeperCredentials): void {
    const refused = (rc: number): void => {
      this.lose(
        new ZooKeeperError(
          'addAuth',
          '/',
          rc,
          `the server refused ${credentials.scheme} authentication as user ${JSON.stringify(credentials.username)}`,
        ),
      );
    };
    const queued = this.client.add_auth(credentials.scheme, credentials.secret, (rc) => {
      if (rc !== ZK.OK && rc !== ZK.CLOSING) refused(rc);
    });
    if (typeof queued === 'number' && queued !== ZK.OK) refused(queued);
  }

  private connected(): void {
    if (this.lost) return;
    const reconnected = this.negotiatedTimeoutMs !== undefined;
    this.currentState = 'connected';
    this.negotiatedTimeoutMs = this.client.timeout;
    const ttlMs = Math.max(1, Math.floor(this.negotiatedTimeoutMs * SAFE_SESSION_FRACTION));
    // The handshake that (re)opened the session was sent after the disconnect was observed, so the server
    // heard from us no earlier than that: a conservative start for the safe deadline.
    if (this.keeper === undefined) {
      this.keeper = new LeaseKeeper({
        ttlMs,
        confirmedAt: this.disconnectedAt,
        renew: () => this.ping(),
        onLost: (_reason, cause) =>
          this.lose(
            new ZooKeeperError(
              'session',
              '/',
              ZK.SESSIONEXPIRED,
              `no contact with the server confirmed within ${ttlMs} ms (${Math.round(SAFE_SESSION_FRACTION * 100)}% of the ${this.negotiatedTimeoutMs} ms session timeout)${cause instanceof Error ? `: ${cause.message}` : ''}`,
            ),
          ),
      });
    } else {
      this.keeper.confirm(this.disconnectedAt, ttlMs);
    }
    for (const waiter of [...this.connectedWaiters]) waiter();
    if (reconnected) for (const listener of [...this.reconnectListeners]) listener();
  }

  private disconnected(): void {
    if (this.lost) return;
    if (this.currentState === 'connected') this.disconnectedAt = monotonicNow();
    this.currentState = this.negotiatedTimeoutMs === undefined ? 'connecting' : 'disconnected';
  }

  private closedByClient(code: unknown): void {
    this.clientClosed = true;
    this.markClientDone();
    this.lose(
      new ZooKeeperError(
        'session',
        '/',
        code === ZK.SESSIONEXPIRED || code === undefined ? ZK.SESSIONEXPIRED : Number(code),
        code === 0 ? 'the client was closed' : `the session expired (close code ${String(code)})`,
      ),
    );
  }

  /** A cheap read that proves the server still serves this session. */
  private async ping(): Promise<boolean> {
    await this.exists('/');
    return true;
  }

  private lose(cause: Error): void {
    if (this.currentState === 'lost') return;
    this.currentState = 'lost';
    this.keeper?.stop();
    this.lostController.abort(cause);
    for (const listener of [...this.lostListeners]) listener(cause);
    this.lostListeners.clear();
    this.connectedWaiters.clear();
    this.reconnectListeners.clear();
    this.client.removeListener('connect', this.onConnect);
    this.client.removeListener('connecting', this.onConnecting);
    if (!this.clientClosed) {
      this.clientClosed = true;
      // Never close from inside one of the client's own callbacks: the native client is mid-iteration there.
      setImmediate(() => {
        this.client.close();
        this.markClientDone();
      });
    }
  }
}
