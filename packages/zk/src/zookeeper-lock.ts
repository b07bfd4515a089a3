import { randomUUID } from 'node:crypto';
import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  type LockOwner,
  type LoseGrant,
  monotonicNow,
  ProviderClosedError,
} from '@lock/core';
import { createNode } from './create-node.js';
import { deleteParentIfEmpty } from './ensure-parent.js';
import { exclusiveMode, type QueueMode } from './queue-mode.js';
import { removeNode } from './remove-node.js';
import { waitForTurn } from './wait-for-turn.js';
import type { ZooKeeperGrant } from './zookeeper-grant.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * A ZooKeeper lock, Curator's InterProcessMutex algorithm: each acquisition creates an
 * ephemeral-sequential node `_c_<guid>-lock-<seq>` under the lock's parent; the holder is the node with
 * the lowest sequence; a waiter watches only the node just before it (no herd) and re-checks when that
 * watch fires. The fencing token is the holder node's czxid.
 *
 * The read side of a read-write lock (`-read-` nodes) and a semaphore's permits (`-sem<permits>-` nodes)
 * are this class too, with another {@link QueueMode}: what differs is only which node is granted and what
 * a waiter watches. The class is the glue between core's lifecycle and the operations, one per file:
 * `createNode` (protected create), `waitForTurn` (queue position and the one watch), `removeNode`.
 */
export class ZooKeeperLock extends BaseLock<ZooKeeperGrant> {
  readonly capabilities: Capabilities;
  /** Parent node of this lock's queue. */
  readonly path: string;
  private readonly host: ZooKeeperLockHost;
  private readonly mode: QueueMode;

  /**
   * @internal Use `ZooKeeperProvider.lock()`, `readWriteLock()` or `semaphore()`. `mode`: which grants this
   * lock's acquisitions ask for (default: exclusive).
   */
  constructor(
    name: string,
    host: ZooKeeperLockHost,
    settings: BaseLockSettings = {},
    mode: QueueMode = exclusiveMode,
  ) {
    super(name, { ...settings, owner: host, remote: true });
    this.host = host;
    this.mode = mode;
    this.capabilities = host.capabilities;
    this.path = host.parentPath(name);
  }

  protected async acquireGrant(request: AcquireRequest): Promise<ZooKeeperGrant | null> {
    const session = await this.sessionFor(request);
    const startedAt = monotonicNow();
    const nodePath = await createNode(session, this.path, randomUUID(), this.mode.tag, request.signal);
    try {
      const grant = await waitForTurn(session, this.path, nodePath, startedAt, request, this.mode, this.name);
      if (grant === null) await removeNode(session, this.path, nodePath);
      return grant;
    } catch (error) {
      await removeNode(session, this.path, nodePath);
      if (this.host.closed) throw new ProviderClosedError(this.capabilities.backend, 'acquire', this.name);
      throw error;
    }
  }

  protected async releaseGrant(grant: ZooKeeperGrant): Promise<boolean> {
    const session = grant.session;
    if (session.lost) return false;
    let attempts = 0;
    try {
      const deleted = await session.retrying(() => {
        attempts += 1;
        return session.delete(grant.path);
      });
      if (!session.containers) await deleteParentIfEmpty(session, this.path);
      // After a connection loss, "no node" most likely means our first delete went through.
      return deleted || attempts > 1;
    } catch (error) {
      // The session ended during release: its ephemeral node goes with it.
      if (session.lost) return false;
      throw error;
    }
  }

  protected override watchGrant(grant: ZooKeeperGrant, lose: LoseGrant): () => void {
    return grant.session.onLost((cause) => lose('session-lost', cause));
  }

  protected override grantSafeDeadline(grant: ZooKeeperGrant): number {
    return grant.session.safeDeadline ?? Number.POSITIVE_INFINITY;
  }

  private async sessionFor(request: AcquireRequest): Promise<ZooKeeperSession> {
    try {
      // Without a connection no request is in flight: the deadline applies to connecting, too.
      return await this.host.session(request.signal, this.name, request.deadline);
    } catch (error) {
      if (this.host.closed) throw new ProviderClosedError(this.capabilities.backend, 'acquire', this.name);
      throw error;
    }
  }
}

/** What a lock needs from its provider. @internal */
export interface ZooKeeperLockHost extends LockOwner {
  readonly capabilities: Capabilities;
  /** Parent path of the lock's queue. */
  parentPath(name: string): string;
  /**
   * The provider's connected session (a new one after the previous one was lost). With `deadline` (monotonic
   * ms), a session that is not connected by then fails the acquisition with `LockBackendError`.
   */
  session(
    signal: AbortSignal | undefined,
    lockName: string,
    deadline?: number | undefined,
  ): Promise<ZooKeeperSession>;
}
