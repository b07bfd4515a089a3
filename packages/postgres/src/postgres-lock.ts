import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  type LockMode,
  type LoseGrant,
  linkSignals,
  ProviderClosedError,
} from '@lock/core';
import { acquireAtServer } from './acquire.js';
import type { PostgresLockBackend } from './lock-backend.js';
import { advisoryKey } from './lock-key.js';
import type { PostgresGrant } from './postgres-grant.js';
import { releaseGrant } from './release.js';

/**
 * A session-level PostgreSQL advisory lock on the key of its name ({@link advisoryKey}), fenced by a counter
 * bumped in the statement that grants it. Waiters wait by push: in the server's own lock queue (a blocking
 * `pg_advisory_lock` on a connection of their own), so a release hands the lock to the next waiter inside the
 * server. The lease is the session's: when the session ends (connection lost, `pg_terminate_backend`, a server
 * restart, no confirmed keepalive within the TTL) `lease.signal` aborts.
 *
 * The class is the glue between core's lifecycle and the operations, one per file: `acquireAtServer`,
 * `releaseGrant`.
 */
export class PostgresLock extends BaseLock<PostgresGrant> {
  /** The provider's capabilities: the lease length is the session's (`capabilities.ttl`). */
  readonly capabilities: Capabilities;
  /** The advisory key of this lock's name in the provider's namespace. */
  readonly key: bigint;
  /** `exclusive` for `lock()` and a read-write lock's `write`; `shared` for its `read`. */
  readonly mode: LockMode;
  private readonly backend: PostgresLockBackend;

  /** @internal Made by `PostgresProvider.lock()` and `readWriteLock()`. */
  constructor(
    name: string,
    backend: PostgresLockBackend,
    settings: BaseLockSettings,
    mode: LockMode = 'exclusive',
  ) {
    super(name, { ...settings, remote: true });
    this.capabilities = backend.capabilities;
    this.backend = backend;
    this.key = advisoryKey(backend.namespace, name);
    this.mode = mode;
  }

  protected acquireGrant(request: AcquireRequest): Promise<PostgresGrant | null> {
    const turns = this.backend.turns;
    if (turns.tryEnter(this.key, this.mode)) return this.withTurn(request);
    if (!request.wait) return Promise.resolve(null);
    // Held or being acquired by another caller of this provider: a wait for a holder, so the timeout applies.
    request.queued();
    const wait = linkSignals(
      request.signal,
      this.backend.closeSignal,
      () => new ProviderClosedError('postgres', 'acquire', this.name),
    );
    return turns
      .enter(this.key, this.mode, wait.signal)
      .finally(wait.unlink)
      .then(() => this.withTurn(request));
  }

  protected releaseGrant(grant: PostgresGrant): Promise<boolean> {
    return releaseGrant(this.backend, grant);
  }

  protected override watchGrant(grant: PostgresGrant, lose: LoseGrant): () => void {
    const unsubscribe = grant.session.onLost((cause) => lose('session-lost', cause));
    return () => {
      unsubscribe();
      // Runs on release and on loss alike; release starts right after this, so on the next microtask only a
      // grant lost without a release (its session ended, maxHoldMs) is given back here: the key's local turn
      // must move on even if the holder never calls release().
      queueMicrotask(() => {
        if (grant.releasing === undefined) releaseGrant(this.backend, grant);
      });
    };
  }

  /** The session's safe deadline: every grant of a session is lost with it. */
  protected override grantSafeDeadline(grant: PostgresGrant): number {
    return grant.session.safeDeadline;
  }

  private async withTurn(request: AcquireRequest): Promise<PostgresGrant | null> {
    let grant: PostgresGrant | null;
    try {
      grant = await acquireAtServer(this.backend, this.name, this.key, this.mode, request);
    } catch (error) {
      this.backend.turns.leave(this.key, this.mode);
      throw error;
    }
    if (grant === null) this.backend.turns.leave(this.key, this.mode);
    return grant;
  }
}
