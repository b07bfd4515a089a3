/**
 * The cause attached to a `LockBackendError` when Redis did not answer within `commandTimeoutMs` (the server
 * is down, unreachable or blackholed). The command may still be applied later (ioredis keeps it queued and
 * resends it after reconnecting): this package queues a compensating release by owner id behind it.
 */
export class CommandTimeoutError extends Error {
  /** What was waited for (`acquire`, `status`, `BLPOP`, ...). */
  readonly command: string;
  /** How long, in ms. */
  readonly timeoutMs: number;

  constructor(command: string, timeoutMs: number) {
    super(`no reply from Redis to ${command} within ${timeoutMs} ms (server down or unreachable?)`);
    this.name = 'CommandTimeoutError';
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}
