import type { Redis } from 'ioredis';

/**
 * The ioredis commands this package uses, typed structurally so any compatible build of ioredis (5 or 6, a
 * `Redis` or a `Cluster`) fits and tests are not tied to one copy of the package.
 *
 * Requirements on a client you pass in: not in subscriber mode; `commandTimeout`, if set, longer than the
 * lock's `recheckMs` (waiters block in `BLPOP` that long). The ioredis defaults (`autoResendUnfulfilledCommands`,
 * offline queue, no `commandTimeout`) are safe: every script is idempotent when resent, and the provider bounds
 * its own waits by `commandTimeoutMs` (queueing an undo behind an acquire that got no reply).
 */
export type RedisLockClient = Pick<
  Redis,
  'evalsha' | 'eval' | 'blpop' | 'rpush' | 'pexpire' | 'wait' | 'scan' | 'info' | 'quit' | 'disconnect'
> & {
  /** A new connection with the same options, for blocking waits. */
  duplicate(): RedisLockClient;
  /** `normal`, `subscriber` or `monitor` (ioredis). */
  readonly mode?: string;
  /** ioredis connection options, read to tell endpoints apart. */
  readonly options?: { host?: string; port?: number };
};
