import { type AcquireRequest, BaseLock, type BaseLockSettings, type Capabilities, noop } from '@lock/core';
import type { LockKeys } from '../shared/lock-keys.js';
import { acquire } from './acquire.js';
import { extend } from './extend.js';
import { LockContext, type RedisBackend, type RedisGrant } from './lock-context.js';
import { EXCLUSIVE, type LockProtocol } from './lock-protocol.js';
import { release } from './release.js';

/**
 * A Redis lock: fenced (the fence counter is incremented in the acquire script), FIFO and push-woken (the
 * releaser hands the lock to the next live waiter inside its release script and pushes the new fence to that
 * waiter's list, where the waiter blocks in `BLPOP`), with renewal, deadlines and the lost signal from
 * `@lock/core`. Made by `RedisProvider`.
 *
 * The class is the glue: each operation has its own module (acquire, wait, release, extend, queue places).
 * Here each acquisition is also counted for the provider's `close()`, which waits for it to settle.
 */
export class RedisLock extends BaseLock<RedisGrant> {
  readonly capabilities: Capabilities;
  /** Key names of this lock. */
  readonly keys: LockKeys;
  private readonly context: LockContext;

  /**
   * @internal Use `provider.lock(name)`, `provider.readWriteLock(name)` or `provider.semaphore(name, permits)`
   * (`protocol`: the exclusive lock's scripts, or one side of a read-write lock, or a semaphore's permit).
   */
  constructor(
    name: string,
    settings: BaseLockSettings,
    backend: RedisBackend,
    protocol: LockProtocol = EXCLUSIVE,
  ) {
    super(name, settings);
    this.capabilities = backend.capabilities;
    this.keys = protocol.keys(backend.prefix, name);
    this.context = new LockContext(name, this.keys, backend, protocol);
  }

  protected acquireGrant(request: AcquireRequest): Promise<RedisGrant | null> {
    const acquisitions = this.context.backend.acquisitions;
    acquisitions.begin();
    let acquisition: Promise<RedisGrant | null>;
    try {
      acquisition = acquire(this.context, request);
    } catch (error) {
      acquisitions.end();
      throw error;
    }
    return acquisition.then(this.settled, this.failed);
  }

  protected releaseGrant(grant: RedisGrant): Promise<boolean> {
    return release(this.context, grant);
  }

  protected override extendGrant(grant: RedisGrant, ttlMs: number): Promise<boolean> {
    return extend(this.context, grant, ttlMs);
  }

  /** Ends an acquisition for `close()`; a grant that arrives while the provider closes is given back first. */
  private readonly settled = (grant: RedisGrant | null): RedisGrant | null | Promise<never> => {
    const { acquisitions, closing } = this.context.backend;
    if (grant === null || !closing()) {
      acquisitions.end();
      return grant;
    }
    return release(this.context, grant)
      .catch(noop)
      .then(() => {
        acquisitions.end();
        throw this.context.providerClosed();
      });
  };

  private readonly failed = (error: unknown): never => {
    this.context.backend.acquisitions.end();
    throw error;
  };
}
