import { type AcquireRequest, LockBackendError, type LockMode, monotonicNow, noop, sleep } from '@lock/core';
import type { PostgresLockBackend } from './lock-backend.js';
import type { PostgresGrant } from './postgres-grant.js';
import type { PostgresSession } from './postgres-session.js';
import { blockingGrant, releaseStatement, tryGrant } from './statements.js';
import { TransactionPoolingError } from './transaction-pooling-error.js';

/** PostgreSQL's SQLSTATE for a statement cancelled by `pg_cancel_backend`. */
const QUERY_CANCELED = '57014';
/** Pause before waiting again on a new session after the old one ended mid-wait (a server restart). */
const REWAIT_DELAY_MS = 50;

/**
 * One acquisition at the server, with the key's local turn held: a try-grant on the main session (one round
 * trip); when the key is held elsewhere and the caller waits, a blocking grant on a session of its own (one
 * more statement, answered when the server hands the lock over). Resolves `null` when held and not waiting.
 * @internal
 */
export async function acquireAtServer(
  backend: PostgresLockBackend,
  name: string,
  key: bigint,
  mode: LockMode,
  request: AcquireRequest,
): Promise<PostgresGrant | null> {
  const main = await backend.mainSession();
  // A session that already holds the key would be granted again without a look at the server's queue (an
  // advisory lock is re-entrant per session): a second local reader then passes a writer queued by another
  // session. It asks on a session of its own instead, where the server's queue applies.
  const session = main.keys.has(key) ? await backend.takeWaitSession() : main;
  const sentAt = monotonicNow();
  let rows: Record<string, unknown>[];
  try {
    rows = await grantStatement(session, tryGrant(backend.fenceSequence, mode), key, name);
  } catch (error) {
    if (session !== main) backend.giveBackWaitSession(session);
    throw error;
  }
  const row = rows[0];
  if (row !== undefined && row.token !== null)
    return grantOn(session, row, key, mode, sentAt, backend.ttlMs, name);
  if (!request.wait) {
    if (session !== main) backend.giveBackWaitSession(session);
    return null;
  }
  request.queued();
  return waitForGrant(backend, name, key, mode, request, session === main ? undefined : session);
}

/**
 * Waits in the server's queue on a session that holds nothing else (a blocking statement occupies its
 * connection). If that session ends while waiting (a server restart, `pg_terminate_backend`), waits again on a
 * new one: the wait is not lost, only its place in the queue. An abort or timeout cancels the statement; a
 * cancel that lands after the lock was taken is undone before the session is reused.
 */
async function waitForGrant(
  backend: PostgresLockBackend,
  name: string,
  key: bigint,
  mode: LockMode,
  request: AcquireRequest,
  firstSession: PostgresSession | undefined,
): Promise<PostgresGrant> {
  const signal = request.signal;
  let rewaitSince: number | undefined;
  let ready = firstSession;
  for (;;) {
    if (signal?.aborted) {
      if (ready !== undefined) backend.giveBackWaitSession(ready);
      throw signal.reason;
    }
    const session = ready ?? (await waitSession(backend, signal, rewaitSince));
    ready = undefined;
    if (signal?.aborted) {
      backend.giveBackWaitSession(session);
      throw signal.reason;
    }
    session.pause();
    const sentAt = monotonicNow();
    const onAbort = () => {
      backend.cancelWait(session).catch(noop);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let rows: Record<string, unknown>[];
    try {
      rows = await grantStatement(session, blockingGrant(backend.fenceSequence, mode), key, name);
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      // A server error (or a pooling proxy) fails the acquisition; the session is already ended.
      if (LockBackendError.isInstance(error)) throw error;
      if (signal?.aborted && sqlState(error) === QUERY_CANCELED) {
        await undoCancelledGrant(backend, session, key, mode);
        throw signal.reason;
      }
      if (signal?.aborted) {
        session.end(error);
        throw signal.reason;
      }
      // The session ended under the wait (server restart, terminated backend): wait again on a new one.
      session.end(error);
      rewaitSince ??= monotonicNow();
      await sleep(REWAIT_DELAY_MS, signal);
      continue;
    }
    signal?.removeEventListener('abort', onAbort);
    return grantOn(session, rows[0]!, key, mode, sentAt, backend.ttlMs, name);
  }
}

/**
 * A session for the wait. After a session ended under the wait (a server restarting), connecting is retried
 * with a growing pause for as long as one connection may take to open (`connectTimeoutMs`), so a restart
 * costs the waiter its place in the queue, not its acquisition; a server still down after that fails it.
 */
async function waitSession(
  backend: PostgresLockBackend,
  signal: AbortSignal | undefined,
  rewaitSince: number | undefined,
): Promise<PostgresSession> {
  let pauseMs = REWAIT_DELAY_MS;
  for (;;) {
    try {
      return await backend.takeWaitSession();
    } catch (error) {
      const retrying =
        rewaitSince !== undefined &&
        !backend.closeSignal.aborted &&
        monotonicNow() - rewaitSince < backend.connectTimeoutMs;
      if (!retrying) throw error;
      await sleep(pauseMs, signal);
      pauseMs = Math.min(pauseMs * 2, 500);
    }
  }
}

/**
 * A cancel can land after `pg_advisory_lock` returned and before the counter was bumped: the session may hold
 * the key without a token. It holds nothing else, so one unlock puts it right; if that fails, ending the
 * session frees whatever it held.
 */
async function undoCancelledGrant(
  backend: PostgresLockBackend,
  session: PostgresSession,
  key: bigint,
  mode: LockMode,
): Promise<void> {
  try {
    await session.query(releaseStatement(mode), [key.toString()]);
    session.keep(monotonicNow());
    backend.giveBackWaitSession(session);
  } catch (error) {
    session.end(error);
  }
}

/** Runs a grant statement; if it fails after possibly taking the lock, the session is ended (which frees it). */
async function grantStatement(
  session: PostgresSession,
  statement: string,
  key: bigint,
  name: string,
): Promise<Record<string, unknown>[]> {
  try {
    const rows = await session.query(statement, [key.toString()]);
    const pid = rows[0]?.pid;
    if (pid !== undefined && Number(pid) !== session.backendPid) {
      const error = new TransactionPoolingError(name, session.backendPid, Number(pid));
      session.end(error);
      throw error;
    }
    return rows;
  } catch (error) {
    if (TransactionPoolingError.isInstance(error)) throw error;
    if (sqlState(error) === QUERY_CANCELED && !session.lost) throw error;
    if (session.lost || endsSession(error)) {
      // The connection is gone, and with it anything the statement took: the caller may try again.
      session.end(error);
      throw error;
    }
    // A server error (the fence sequence missing or not usable, say): the lock may have been taken before it
    // and is not undone by the statement's rollback. Ending the session is the one sure way to free it.
    session.end(error);
    throw new LockBackendError('postgres', 'acquire', { lockName: name, cause: error });
  }
}

/**
 * Errors that end the session rather than the statement: pg's own for a closed connection (no SQLSTATE),
 * class 08 (connection exception) and 57P (operator intervention: shutdown, terminated backend, idle timeout).
 */
function endsSession(error: unknown): boolean {
  const code = sqlState(error);
  if (code === undefined) return true;
  return code.startsWith('08') || code.startsWith('57P');
}

function grantOn(
  session: PostgresSession,
  row: Record<string, unknown>,
  key: bigint,
  mode: LockMode,
  sentAt: number,
  ttlMs: number,
  name: string,
): PostgresGrant {
  const token = row.token;
  if (typeof token !== 'string' || !/^\d+$/.test(token)) {
    throw new LockBackendError('postgres', 'acquire', {
      lockName: name,
      detail: `the grant statement returned no token (${String(token)})`,
    });
  }
  // The server started its idle clock no earlier than the send time plus the time it spent waiting.
  const waitedMs = Math.max(0, Number(row.waited_ms) || 0);
  const answeredAfter = sentAt + waitedMs;
  session.holds += 1;
  session.keys.set(key, (session.keys.get(key) ?? 0) + 1);
  // A session already kept (the main one) goes on with its own keepalive; a wait session starts again here.
  if (!session.keeping) session.keep(answeredAfter);
  return { token: BigInt(token), ttlMs, startedAt: answeredAfter, session, key, mode };
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
