import type { LockMode } from '@lock/core';

/**
 * The SQL this package sends, one statement per operation. Each statement that grants also mints the
 * fencing token, so a grant and its token are one round trip and one decision of the server.
 *
 * The token is the next value of one sequence (`fenceSequence`), drawn in the statement that takes the lock
 * and only once it is taken: in the try-grant, `CASE` evaluates `nextval` only when `pg_try_advisory_lock`
 * returned true; in the blocking grant, the lock is taken in a `MATERIALIZED` CTE, evaluated once and before
 * the outer query reads its row. A sequence never goes backwards, not across sessions and not across a crash
 * (after recovery it resumes past every value it may have handed out), so tokens strictly increase per name
 * across holders and restarts; they also increase across names (gaps are normal). `nextval` is not undone by a
 * rollback and costs no row lock or commit of its own, so the grant stays one cheap statement. A session-level
 * advisory lock is not undone by a statement's failure either: when a grant statement fails after taking the
 * lock, the caller ends the session, which frees it.
 */

/** A name from the settings (already checked against a strict pattern), quoted per part. @internal */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** A quoted name as a SQL string literal for `::regclass` (the pattern admits no quote characters). */
function regclassLiteral(sequence: string): string {
  return `'${quoteName(sequence)}'::regclass`;
}

/** Creates the fence sequence if missing. @internal */
export function createFenceSequence(sequence: string): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${quoteName(sequence)} AS bigint`;
}

/** Whether the fence sequence (`$1`, quoted) exists. @internal */
export const FENCE_SEQUENCE_PRESENT = 'SELECT to_regclass($1) IS NOT NULL AS present';

/**
 * Try to take key `$1` without waiting; when taken, draw its token. One row: `token` null when the key is held
 * by another session.
 * @internal
 */
export function tryGrant(sequence: string, mode: LockMode = 'exclusive'): string {
  return `SELECT CASE WHEN ${mode === 'shared' ? 'pg_try_advisory_lock_shared' : 'pg_try_advisory_lock'}($1::bigint) THEN nextval(${regclassLiteral(sequence)})::text END AS token,
  pg_backend_pid() AS pid, 0::float8 AS waited_ms`;
}

/**
 * Wait in the server's lock queue for key `$1` (FIFO: a newcomer does not pass queued waiters), then draw its
 * token. The releaser's unlock grants the lock to the first waiter inside the server, so a handoff costs no
 * round trip beyond this statement's answer. `waited_ms` is how long the server waited, so the caller can
 * date the session's last sign of life after the wait rather than at its start.
 * @internal
 */
export function blockingGrant(sequence: string, mode: LockMode = 'exclusive'): string {
  return `WITH taken AS MATERIALIZED (SELECT ${mode === 'shared' ? 'pg_advisory_lock_shared' : 'pg_advisory_lock'}($1::bigint))
SELECT nextval(${regclassLiteral(sequence)})::text AS token, pg_backend_pid() AS pid,
  (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::float8 AS waited_ms
FROM taken`;
}

/** Release key `$1` held by this session: `released` is false when this session did not hold it. @internal */
export const RELEASE = 'SELECT pg_advisory_unlock($1::bigint) AS released, pg_backend_pid() AS pid';
/** Release one shared hold of key `$1` by this session (shared holds are counted per session). @internal */
export const RELEASE_SHARED =
  'SELECT pg_advisory_unlock_shared($1::bigint) AS released, pg_backend_pid() AS pid';

/** The release statement of a mode. @internal */
export function releaseStatement(mode: LockMode): string {
  return mode === 'shared' ? RELEASE_SHARED : RELEASE;
}

/** The session's sign of life, and which server backend answered. @internal */
export const PING = 'SELECT pg_backend_pid() AS pid';

/** What a new session learns about its server. @internal */
export const SESSION_FACTS = `SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version,
  current_setting('server_version') AS version_text, pg_is_in_recovery() AS standby`;

/**
 * Session settings, PostgreSQL 14 and later: the server ends the session after `$1` ms idle (so a holder that
 * vanished without closing its connection frees its locks after the TTL: the session is the lease, renewed by
 * the keepalive), checks that the client is still there every `$2` ms while a statement runs (a waiter that
 * vanished leaves the queue), and probes the TCP peer with keepalives every `$3` seconds.
 * @internal
 */
export const SESSION_SETTINGS = `SELECT set_config('idle_session_timeout', $1, false),
  set_config('client_connection_check_interval', $2, false),
  set_config('tcp_keepalives_idle', $3, false), set_config('tcp_keepalives_interval', $3, false),
  set_config('tcp_keepalives_count', '3', false)`;

/** Cancel the statement running on backend `$1` (a waiter whose acquisition was aborted). @internal */
export const CANCEL = 'SELECT pg_cancel_backend($1::int) AS cancelled';

/** Holders and waiters of advisory key (classid `$1`, objid `$2`) in this database, holders first. @internal */
export const LOCK_QUEUE = `SELECT l.pid, l.granted, l.mode, a.application_name, l.waitstart::text AS wait_start,
  (extract(epoch FROM clock_timestamp() - l.waitstart) * 1000)::float8 AS wait_ms
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.classid = $1::oid AND l.objid = $2::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY l.granted DESC, l.waitstart NULLS FIRST, l.pid`;

/** The latest token the fence sequence issued (for any name), or null before the first. @internal */
export function lastIssued(sequence: string): string {
  return `SELECT CASE WHEN is_called THEN last_value::text END AS token FROM ${quoteName(sequence)}`;
}
