/**
 * The cause attached to a `LockBackendError` when Redis did not answer within `commandTimeoutMs` (the server
 * is down, unreachable or blackholed). The message says what is known about the connection, and `cause` is the
 * latest connection error when there is one (`ECONNREFUSED`). The command may still be applied later (ioredis
 * keeps it queued and resends it after reconnecting): this package queues a compensating release by owner id
 * behind it.
 */
export class CommandTimeoutError extends Error {
  /** What was waited for (`acquire`, `status`, `BLPOP`, ...). */
  readonly command: string;
  /** How long, in ms. */
  readonly timeoutMs: number;

  constructor(
    command: string,
    timeoutMs: number,
    connection: { readonly error: Error | undefined; explain(): string } | undefined = undefined,
  ) {
    super(
      `no answer from Redis to ${command} within ${timeoutMs} ms (${connection?.explain() ?? 'server down or unreachable?'})`,
      connection?.error === undefined ? undefined : { cause: connection.error },
    );
    this.name = 'CommandTimeoutError';
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}
