import {
  BaseProvider,
  type Capabilities,
  LockBackendError,
  LockError,
  type LockOptions,
  type LockStatus,
  monotonicNow,
  noop,
  ProviderClosedError,
  type ProviderDescription,
  type ReadWriteLock,
} from '@lock/core';
import { connector, type OpenedConnection } from './connector.js';
import { KeyTurns } from './key-turns.js';
import type { PostgresLockBackend } from './lock-backend.js';
import { postgresCapabilities } from './postgres-capabilities.js';
import { PostgresLock } from './postgres-lock.js';
import { PostgresSession } from './postgres-session.js';
import { settingsAddress } from './postgres-settings.js';
import { type PostgresProviderOptions, parseProviderOptions } from './provider-options.js';
import { readStatus } from './read-status.js';
import {
  CANCEL,
  createFenceSequence,
  FENCE_SEQUENCE_PRESENT,
  quoteName,
  SESSION_FACTS,
  SESSION_SETTINGS,
} from './statements.js';

/** Wait sessions kept open once they hold nothing, for the next wait. */
const MAX_IDLE_WAIT_SESSIONS = 2;
/** First PostgreSQL version with `idle_session_timeout` (the server-side end of a vanished session). */
const IDLE_TIMEOUT_VERSION = 140_000;
/** SQLSTATEs of a lost race to create the fence sequence: another session created it first. */
const ALREADY_CREATED = new Set(['42P07', '23505']);

/** What a provider learned about its server when it opened a session. */
export interface PostgresServerFacts {
  /** `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  readonly version: string;
  /** `server_version_num`, e.g. 150018. */
  readonly versionNumber: number;
  /** The backend pid announced at startup differs from the session's own: a pooling proxy is in between. */
  readonly behindPooler: boolean;
}

/**
 * Makes {@link PostgresLock}s on one PostgreSQL database. Its locks share a main session (one connection) for
 * try-grants and releases; each name waited for gets a session of its own for the blocking wait and keeps
 * the grant on it. Sessions are leases: confirmed every third of `ttlMs`, ended by the server after `ttlMs`
 * idle (PostgreSQL 14 and later), and lost with every lock on them when the connection ends.
 */
export class PostgresProvider extends BaseProvider<PostgresLock> {
  /** Cluster scope, single-node durability, pushed FIFO waiting, fencing, leases whose length is the session's. */
  readonly capabilities: Capabilities;
  /** The session TTL, in ms. */
  readonly ttlMs: number;
  /** Hashed with each name into its advisory key. */
  readonly namespace: string;
  /** The sequence fencing tokens are drawn from. */
  readonly fenceSequence: string;
  /** Where the provider connects, without any password (for messages). */
  readonly address: string;
  private readonly open: () => Promise<OpenedConnection>;
  private readonly turns = new KeyTurns();
  private readonly closeController = new AbortController();
  private readonly sessions = new Set<PostgresSession>();
  private readonly idleWaitSessions: PostgresSession[] = [];
  private main: Promise<PostgresSession> | undefined;
  /** The main session once open (it is never given out as a wait session). */
  private mainResolved: PostgresSession | undefined;
  private fenceSequenceReady: Promise<void> | undefined;
  private facts: PostgresServerFacts | undefined;
  private readonly backend: PostgresLockBackend;

  /**
   * Checks the options before any I/O (`InvalidArgumentError` naming the field, `options.ttlMs`: the words of
   * the settings schema). Connects lazily, on the first acquisition.
   */
  constructor(options: PostgresProviderOptions = {}) {
    super();
    const settings = parseProviderOptions(options);
    this.ttlMs = settings.ttlMs;
    this.namespace = settings.namespace;
    this.fenceSequence = settings.fenceSequence;
    this.capabilities = postgresCapabilities(settings);
    this.address = settings.pool !== undefined ? 'postgres (pool)' : settingsAddress(settings);
    this.open = connector(settings, this.address);
    this.backend = {
      capabilities: this.capabilities,
      namespace: this.namespace,
      fenceSequence: this.fenceSequence,
      ttlMs: this.ttlMs,
      connectTimeoutMs: settings.connectTimeoutMs,
      turns: this.turns,
      closeSignal: this.closeController.signal,
      mainSession: () => this.mainSession(),
      takeWaitSession: () => this.takeWaitSession(),
      giveBackWaitSession: (session) => this.giveBackWaitSession(session),
      cancelWait: (session) => this.cancelWait(session),
    };
  }

  /** What the provider learned about its server, once a session has opened. */
  get server(): PostgresServerFacts | undefined {
    return this.facts;
  }

  /** Open sessions (connections) of this provider, for tests and diagnosis. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** The server pid of the main session's backend, once open (for `pg_terminate_backend` in tests). */
  async mainBackendPid(): Promise<number> {
    return (await this.mainSession()).backendPid;
  }

  /**
   * Who holds `name` and who waits at the server, from `pg_locks` (holders first, waiters by wait start),
   * with the latest token the fence sequence issued (for any name) in `details`. Participants are server backends: `id` is `pid:<pid>`.
   */
  async status(name: string): Promise<LockStatus> {
    const lock = this.lock(name);
    try {
      const session = await this.mainSession();
      return await readStatus(session, name, lock.key, this.fenceSequence, this.turns.waiting(lock.key));
    } catch (error) {
      throw this.backendError('status', error, name);
    }
  }

  /** The server in words (`PostgreSQL 15.18`) and what a caller should know about it. */
  async describe(): Promise<ProviderDescription> {
    try {
      await this.mainSession();
    } catch (error) {
      throw this.backendError('describe', error);
    }
    const facts = this.facts!;
    const warnings: string[] = [];
    if (facts.versionNumber < IDLE_TIMEOUT_VERSION) {
      warnings.push(
        'PostgreSQL before 14 has no idle_session_timeout: a holder that vanishes without closing its connection keeps its locks until TCP keepalives end the session.',
      );
    }
    if (facts.behindPooler) {
      warnings.push(
        'A pooling proxy is between this provider and PostgreSQL: advisory locks need session pooling (PgBouncer pool_mode=session); transaction pooling is detected and refused per statement.',
      );
    }
    return {
      server: `PostgreSQL ${facts.version}`,
      warnings,
      details: {
        address: this.address,
        namespace: this.namespace,
        fenceSequence: this.fenceSequence,
        sessionTtlMs: this.ttlMs,
        versionNumber: facts.versionNumber,
      },
    };
  }

  protected createLock(name: string, options: LockOptions | undefined): PostgresLock {
    // Core has checked options.ttlMs against capabilities.ttl: it is the session's, or absent.
    return new PostgresLock(name, this.backend, { ...options, defaultTtlMs: this.ttlMs, owner: this });
  }

  /**
   * Shared advisory locks (`pg_advisory_lock_shared`) on the name's key: `write` is exactly `lock(name)` (same
   * key, exclusive), `read` is shared. The server's lock queue orders the modes across sessions (a queued
   * writer holds back later readers), the provider's local queue among its own callers.
   */
  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    const settings = { ...options, defaultTtlMs: this.ttlMs, owner: this };
    return Object.freeze({
      name,
      read: new PostgresLock(name, this.backend, settings, 'shared'),
      write: new PostgresLock(name, this.backend, settings, 'exclusive'),
    });
  }

  protected async closeBackend(): Promise<void> {
    this.closeController.abort(new ProviderClosedError('postgres', 'acquire'));
    this.turns.rejectAll(() => new ProviderClosedError('postgres', 'acquire'));
    const sessions = [...this.sessions];
    this.sessions.clear();
    this.idleWaitSessions.length = 0;
    await Promise.all(sessions.map((session) => session.close()));
  }

  private mainSession(): Promise<PostgresSession> {
    const current = this.main;
    if (current !== undefined) {
      return current.then((session) => (session.lost ? this.openMain(current) : session));
    }
    return this.openMain(undefined);
  }

  private openMain(replacing: Promise<PostgresSession> | undefined): Promise<PostgresSession> {
    // Two callers that find the same lost session open one new one.
    if (this.main !== replacing) return this.mainSession();
    const opening = this.openSession().then(async (session) => {
      this.mainResolved = session;
      await this.ensureFenceSequence(session);
      return session;
    });
    this.main = opening;
    opening.catch(() => {
      if (this.main === opening) this.main = undefined;
    });
    return opening;
  }

  private async takeWaitSession(): Promise<PostgresSession> {
    for (;;) {
      const idle = this.idleWaitSessions.pop();
      if (idle === undefined) break;
      if (!idle.lost) return idle;
    }
    return this.openSession();
  }

  private giveBackWaitSession(session: PostgresSession): void {
    if (session.lost || session.holds > 0 || this.closed || session === this.mainResolved) return;
    if (this.idleWaitSessions.includes(session)) return;
    if (this.idleWaitSessions.length < MAX_IDLE_WAIT_SESSIONS) this.idleWaitSessions.push(session);
    else {
      this.sessions.delete(session);
      session.close().catch(noop);
    }
  }

  private async cancelWait(session: PostgresSession): Promise<void> {
    try {
      const main = await this.mainSession();
      await main.query(CANCEL, [session.backendPid]);
    } catch (error) {
      // No way to reach the server for the cancel: dropping the wait's connection ends its wait too (the
      // server notices within client_connection_check_interval).
      session.end(error);
    }
  }

  private async openSession(): Promise<PostgresSession> {
    if (this.closed) throw new ProviderClosedError('postgres', 'connect');
    const opened = await this.open();
    try {
      const sentAt = monotonicNow();
      const facts = (await opened.client.query(SESSION_FACTS)).rows[0] ?? {};
      const pid = Number(facts.pid);
      const versionNumber = Number(facts.version);
      if (facts.standby === true) {
        throw new LockBackendError('postgres', 'connect', {
          detail: `${this.address} is a standby in recovery: advisory locks are not replicated, so a lock there excludes no one on the primary`,
        });
      }
      if (versionNumber >= IDLE_TIMEOUT_VERSION) {
        const checkEveryMs = Math.max(100, Math.floor(this.ttlMs / 3));
        const keepaliveSeconds = Math.max(1, Math.floor(this.ttlMs / 3000));
        await opened.client.query(SESSION_SETTINGS, [
          String(this.ttlMs),
          String(checkEveryMs),
          String(keepaliveSeconds),
        ]);
      }
      this.facts = {
        version: String(facts.version_text),
        versionNumber,
        behindPooler: opened.announcedPid !== undefined && opened.announcedPid !== pid,
      };
      const session = new PostgresSession(opened.client, opened.dispose, pid, this.ttlMs);
      session.keep(sentAt);
      this.sessions.add(session);
      session.onLost(() => this.sessions.delete(session));
      if (this.closed) {
        await session.close();
        throw new ProviderClosedError('postgres', 'connect');
      }
      return session;
    } catch (error) {
      await opened.dispose().catch(noop);
      throw this.backendError('connect', error);
    }
  }

  /** Creates the fence sequence on the first session if it is missing (once per provider). */
  private ensureFenceSequence(session: PostgresSession): Promise<void> {
    this.fenceSequenceReady ??= session
      .query(FENCE_SEQUENCE_PRESENT, [quoteName(this.fenceSequence)])
      // Asked first: CREATE ... IF NOT EXISTS needs the CREATE privilege even when the sequence is there.
      .then((rows) =>
        rows[0]?.present === true ? undefined : session.query(createFenceSequence(this.fenceSequence)),
      )
      .then(noop, (error: unknown) => {
        if (ALREADY_CREATED.has(String((error as { code?: unknown }).code))) return;
        this.fenceSequenceReady = undefined;
        throw new LockBackendError('postgres', 'create the fence sequence', {
          cause: error,
          detail: `CREATE SEQUENCE IF NOT EXISTS ${this.fenceSequence} failed (${(error as Error).message}); create it once by hand (CREATE SEQUENCE ${this.fenceSequence} AS bigint, and GRANT USAGE on it) or grant CREATE on the schema`,
        });
      });
    return this.fenceSequenceReady;
  }

  private backendError(operation: string, error: unknown, lockName?: string): unknown {
    if (LockError.isInstance(error)) return error;
    return new LockBackendError('postgres', operation, { lockName, cause: error });
  }
}
