import { ProviderClosedError } from '@lock/core';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdLockStats } from './etcd-lock-backend.js';
import { EtcdSession } from './etcd-session.js';

/** What a {@link SessionPool} needs from its provider. @internal */
export interface SessionPoolOptions {
  readonly client: EtcdClient;
  readonly ttlMs: number;
  readonly attemptTimeoutMs: number;
  readonly stats: EtcdLockStats;
  /** True once the provider is closed. */
  closed(): boolean;
  callOptions(): { deadline: number } | undefined;
  /** A failure to open a session in words, when it has some (a refused certificate or password). */
  explainFailure(error: unknown): Promise<unknown>;
  /** Called before the first session is opened (the provider reads the server version beside it). */
  onFirstOpen(): void;
}

/**
 * A provider's sessions: the current one, opened on demand and replaced when it ends or is retired, and
 * retired ones that still carry keys until those are gone. @internal
 */
export class SessionPool {
  private readonly options: SessionPoolOptions;
  private pending: Promise<EtcdSession> | undefined;
  private latest: EtcdSession | undefined;
  private readonly live = new Set<EtcdSession>();
  private opened = false;

  constructor(options: SessionPoolOptions) {
    this.options = options;
  }

  /** The TTL of the latest session, in ms; `undefined` before the first one. */
  get ttlMs(): number | undefined {
    return this.latest?.ttlMs;
  }

  /** The latest session unless it ended or failed to open (it may be retired but still carry keys). */
  async current(): Promise<EtcdSession | undefined> {
    const session = await this.pending?.catch(() => undefined);
    return session === undefined || session.lost ? undefined : session;
  }

  /** The current session, opening one if there is none or the last one ended or was retired. */
  async session(name: string): Promise<EtcdSession> {
    for (;;) {
      if (this.options.closed()) throw new ProviderClosedError('etcd', 'acquire', name);
      this.pending ??= this.open();
      const pending = this.pending;
      const session = await pending;
      if (!session.lost && !session.retired) return session;
      if (this.pending === pending) this.pending = undefined;
    }
  }

  /** Closes (revokes) every session, the one being opened included. */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    await pending?.catch(() => undefined);
    await Promise.all([...this.live].map((session) => session.close()));
  }

  private open(): Promise<EtcdSession> {
    const { client, ttlMs, attemptTimeoutMs, stats } = this.options;
    if (!this.opened) {
      this.opened = true;
      this.options.onFirstOpen();
    }
    const pending: Promise<EtcdSession> = EtcdSession.open(client, ttlMs, attemptTimeoutMs, () =>
      this.options.callOptions(),
    ).then(
      (session) => {
        stats.sessionsOpened += 1;
        this.latest = session;
        this.live.add(session);
        session.onLost((reason) => {
          this.live.delete(session);
          if (this.pending === pending) this.pending = undefined;
          if (reason === 'closed') {
            if (session.retired && !this.options.closed()) stats.sessionsRetired += 1;
            return;
          }
          stats.sessionsLost += 1;
          // An unconfirmed lease may still live on the server: revoke it so its keys stop blocking others.
          void session.revoke();
        });
        if (this.options.closed()) void session.close();
        return session;
      },
      async (error: unknown) => {
        if (this.pending === pending) this.pending = undefined;
        throw await this.options.explainFailure(error);
      },
    );
    return pending;
  }
}
