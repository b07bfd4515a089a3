import { createHash } from 'node:crypto';
import { LeaseKeeper, monotonicNow, noop } from '@lock/core';
import type { PgClient } from './pg-client.js';
import { PING } from './statements.js';

const statementNames = new Map<string, string>();

/** A stable name per statement text (the fence sequence is part of some texts). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `lock_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** How a session's connection is given back: ended (own client) or destroyed (a pool's). @internal */
export type DisposeClient = () => Promise<void>;

/**
 * One server session (one connection, one backend process) and what rides on it: the advisory locks taken
 * through it. Its liveness is a lease kept by core's `LeaseKeeper`: a keepalive every third of the TTL,
 * answered by the same backend, confirms it; the server ends a session idle for the TTL (`idle_session_timeout`),
 * so a session the client cannot confirm before its safe deadline is presumed gone with its locks. Its end,
 * for whatever reason (connection error or close, `pg_terminate_backend`, a server restart, no confirmation
 * in time), is final: every lock on it is lost, and the session is never used again.
 * @internal
 */
export class PostgresSession {
  /** The server's pid of this session's backend, read when it opened. */
  readonly backendPid: number;
  /** Grants currently held through this session. */
  holds = 0;
  /** Grants held through this session, per advisory key. */
  readonly keys = new Map<bigint, number>();
  /** Why the session ended, once it has. */
  endedWith: unknown;
  private readonly client: PgClient;
  private readonly dispose: DisposeClient;
  private readonly ttlMs: number;
  private keeper: LeaseKeeper | undefined;
  private readonly lostListeners = new Set<(cause: unknown) => void>();
  private ended = false;
  private disposed: Promise<void> | undefined;
  private readonly onError = (error: Error) => this.end(error);
  private readonly onEnd = () => this.end(new Error('the connection to PostgreSQL ended'));

  constructor(client: PgClient, dispose: DisposeClient, backendPid: number, ttlMs: number) {
    this.client = client;
    this.dispose = dispose;
    this.backendPid = backendPid;
    this.ttlMs = ttlMs;
    client.on('error', this.onError);
    client.on('end', this.onEnd);
  }

  /** True once the session has ended. */
  get lost(): boolean {
    return this.ended;
  }

  /** True while the keepalive runs. */
  get keeping(): boolean {
    return this.keeper !== undefined && !this.keeper.done;
  }

  /** Monotonic time after which the session must be presumed gone (Infinity while it is not being kept). */
  get safeDeadline(): number {
    if (this.ended) return Number.NEGATIVE_INFINITY;
    return this.keeper?.safeDeadline ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Runs one statement on the session's connection, as a named prepared statement: parsed and planned once
   * per session, then only bound and executed (the lock statements run thousands of times per session).
   */
  async query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
    if (this.ended) throw this.endedWith;
    return (await this.client.query({ name: statementName(text), text, values })).rows;
  }

  /**
   * Starts keeping the session alive, its last sign of life at `confirmedAt` (monotonic ms): the send time of
   * a statement it answered, plus any time the server says it spent on it.
   */
  keep(confirmedAt: number): void {
    if (this.ended) return;
    this.keeper?.stop();
    this.keeper = new LeaseKeeper({
      ttlMs: this.ttlMs,
      confirmedAt,
      renew: () => this.ping(),
      onLost: (_reason, cause) =>
        this.end(
          new Error(
            `the session (backend ${this.backendPid}) could not be confirmed within its ${this.ttlMs} ms TTL`,
            { cause },
          ),
        ),
    });
  }

  /** Stops the keepalive (while the connection is busy with a blocking wait, holding nothing). */
  pause(): void {
    this.keeper?.stop();
    this.keeper = undefined;
  }

  /** Calls `listener` once when the session ends; returns the unsubscribe function. */
  onLost(listener: (cause: unknown) => void): () => void {
    if (this.ended) {
      queueMicrotask(() => listener(this.endedWith));
      return noop;
    }
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Ends the session (idempotent): its locks are lost, its connection closed. */
  end(cause: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endedWith = cause;
    this.keeper?.stop();
    this.keeper = undefined;
    const listeners = [...this.lostListeners];
    this.lostListeners.clear();
    for (const listener of listeners) listener(cause);
    // An 'error' after this (the socket's own) must not become an unhandled 'error' event.
    this.client.removeListener('end', this.onEnd);
    this.disposeOnce();
  }

  /** Closes the session on purpose (its locks, if any, go with it). */
  close(): Promise<void> {
    if (this.ended) return this.disposeOnce();
    this.end(new Error('the session was closed'));
    return this.disposeOnce();
  }

  private disposeOnce(): Promise<void> {
    this.disposed ??= this.dispose().catch(noop);
    return this.disposed;
  }

  private async ping(): Promise<boolean> {
    const rows = await this.query(PING);
    if (Number(rows[0]?.pid) !== this.backendPid) {
      this.end(new Error('a different server backend answered the keepalive (a transaction-pooling proxy?)'));
      return false;
    }
    return true;
  }

  /** Monotonic now, for callers dating a statement. */
  static now(): number {
    return monotonicNow();
  }
}
