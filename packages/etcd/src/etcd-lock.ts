import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  LockBackendError,
  type LoseGrant,
  linkSignals,
  noop,
} from '@lock/core';
import { contend } from './contend.js';
import type { EtcdGrant } from './etcd-grant.js';
import type { EtcdLockBackend, LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import { exclusiveMode, type KeyMode } from './key-mode.js';
import { LocalSlot } from './local-slot.js';
import { lockPrefix, prefixRangeEnd } from './lock-key.js';
import { removeKey } from './remove-key.js';
import { closedWhileWaiting } from './waiter-lost.js';

/**
 * etcd's own lock algorithm (Go's `concurrency.Mutex`), so that `etcdctl lock NAME` and this lock exclude
 * each other: each contender puts `NAME/<lease hex>` under its session lease; the key with the lowest create
 * revision owns the lock; a waiter watches only the key with the next lower create revision (one release
 * wakes one waiter), then checks that its own key still exists. The fencing token is the create revision of
 * the holder's key.
 *
 * The same class is a read-write lock's reader (`NAME/read/...` keys, waiting on the last writer before it)
 * and a semaphore's permit (`NAME/sem/...` keys, the first `permits` hold): see `KeyMode`.
 *
 * The class is the glue between core's lifecycle and the operations, one per file: `contend` (enqueue and
 * wait), `waitForTurn` / `waitForPermit`, `removeKey` (release and clean-up).
 */
export class EtcdLock extends BaseLock<EtcdGrant> {
  /** The provider's capabilities: the lease length is the session's (`capabilities.ttl`). */
  readonly capabilities: Capabilities;
  /** The key prefix of this lock, `<provider prefix><escaped name>/` (etcdctl's prefix for the same name). */
  readonly keyPrefix: string;
  private readonly context: LockContext;
  private readonly mode: KeyMode;

  /**
   * @internal Made by `EtcdProvider.lock()`, `readWriteLock()` and `semaphore()`; `mode` says which grants
   * this lock takes (default: exclusive).
   */
  constructor(
    name: string,
    backend: EtcdLockBackend,
    settings: BaseLockSettings,
    mode: KeyMode = exclusiveMode,
  ) {
    super(name, { ...settings, remote: true });
    this.mode = mode;
    this.capabilities = backend.capabilities;
    this.keyPrefix = lockPrefix(backend.keyPrefix, name);
    const prefix = Buffer.from(this.keyPrefix);
    this.context = { name, backend, keyPrefix: this.keyPrefix, prefix, prefixEnd: prefixRangeEnd(prefix) };
  }

  protected acquireGrant(request: AcquireRequest): Promise<EtcdGrant | null> {
    if (this.mode !== exclusiveMode) return this.acquireOwnKey(request);
    const slot = this.context.backend.slot(this.name);
    if (slot.tryEnter()) return this.withTurn(slot, request);
    if (!request.wait) return Promise.resolve(null);
    // Held by another acquisition of this provider: a wait for a holder, so the timeout applies.
    request.queued();
    const wait = linkSignals(request.signal, this.context.backend.closeSignal, closedWhileWaiting(this.name));
    return slot
      .enter(wait.signal)
      .finally(wait.unlink)
      .then(() => this.withTurn(slot, request));
  }

  protected releaseGrant(grant: EtcdGrant): Promise<boolean> {
    grant.releasing = true;
    // Already being removed after a loss: the grant was not held any more.
    if (grant.removal !== undefined) return grant.removal.then(() => false);
    grant.removal = removeKey(this.context, grant.session, grant.key, grant.token, grant.turn);
    return grant.removal.then((removed) => {
      if (removed === undefined) {
        throw new LockBackendError('etcd', 'release', {
          lockName: this.name,
          detail: `the deletion of ${grant.key} could not be confirmed; it is retried until the session ends`,
        });
      }
      return removed;
    });
  }

  protected override watchGrant(grant: EtcdGrant, lose: LoseGrant): () => void {
    const unsubscribe = grant.session.onLost((_reason, cause) => lose('session-lost', cause));
    return () => {
      unsubscribe();
      // Runs on release and on loss alike; release marks the grant synchronously right after this, so on the
      // next microtask only a grant lost without release (session end, maxHoldMs) is cleaned up here.
      queueMicrotask(() => {
        if (grant.releasing || grant.removal !== undefined) return;
        grant.removal = removeKey(this.context, grant.session, grant.key, grant.token, grant.turn);
      });
    };
  }

  /** The session's safe deadline: every grant of a session is lost with it. */
  protected override grantSafeDeadline(grant: EtcdGrant): number {
    return grant.session.safeDeadline;
  }

  /**
   * Readers and permits put a key per acquisition, so they need no local turn; a reader only keeps arrival
   * order with this session's exclusive acquisitions of the name (see `LocalSlot.passShared`).
   */
  private async acquireOwnKey(request: AcquireRequest): Promise<EtcdGrant | null> {
    if (this.mode.mode === 'shared') {
      const { backend } = this.context;
      const wait = linkSignals(request.signal, backend.closeSignal, closedWhileWaiting(this.name));
      try {
        const passing = backend.slot(this.name).passShared(wait.signal, request.wait);
        if (passing === false) return null;
        if (passing !== true) {
          // Behind a writer of this session that waits for a holder: a wait for a holder too.
          request.queued();
          await passing;
        }
      } finally {
        wait.unlink();
      }
    }
    const own = new LocalSlot(this.name, noop);
    own.tryEnter();
    return this.withTurn(own, request);
  }

  /** Runs one acquisition in etcd while holding the local turn; frees the turn unless a grant results. */
  private async withTurn(slot: LocalSlot, request: AcquireRequest): Promise<EtcdGrant | null> {
    let session: EtcdSession;
    try {
      session = await this.context.backend.session(this.name);
    } catch (error) {
      slot.leave();
      throw error;
    }
    // contend takes a use of the session for the key it puts, and gives the turn back when the key is gone.
    return contend(this.context, session, slot, request, this.mode);
  }
}
