import { randomUUID } from 'node:crypto';
import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  type Grant,
  type LockOwner,
  type LoseGrant,
  monotonicNow,
  ProviderClosedError,
} from '@lock/core';
import { lockNodeSequence, protectedPrefix, sortLockNodes } from './lock-node.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/** One grant: the holder's node and the session that carries it. */
export interface ZooKeeperGrant extends Grant {
  /** The node's czxid: monotonic across the whole ensemble, also across a parent deleted and recreated. */
  readonly token: bigint;
  /** Full path of the holder's ephemeral-sequential node. */
  readonly path: string;
  /** The session that owns the node; the grant is lost with it. */
  readonly session: ZooKeeperSession;
  /** Negotiated session timeout in ms: a dead holder's node goes at most this long after its last contact. */
  readonly ttlMs: number;
  /** Monotonic send time of the create that queued this acquisition. */
  readonly startedAt: number;
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

/** Where an acquisition stands in its lock's queue. */
interface QueuePosition {
  index: number;
  predecessor: string | undefined;
}

/** Creates of a missing parent retried before giving up (a parent reaped again and again). */
const MAX_PARENT_ATTEMPTS = 10;

/**
 * A ZooKeeper lock, Curator's InterProcessMutex algorithm: each acquisition creates an
 * ephemeral-sequential node `_c_<guid>-lock-<seq>` under the lock's parent; the holder is the node with
 * the lowest sequence; a waiter watches only the node just before it (no herd) and re-checks when that
 * watch fires. The fencing token is the holder node's czxid.
 */
export class ZooKeeperLock extends BaseLock<ZooKeeperGrant> {
  readonly capabilities: Capabilities;
  /** Parent node of this lock's queue. */
  readonly path: string;
  private readonly host: ZooKeeperLockHost;

  /** @internal Use `ZooKeeperProvider.lock()`. */
  constructor(name: string, host: ZooKeeperLockHost, settings: BaseLockSettings = {}) {
    super(name, { ...settings, owner: host, remote: true });
    this.host = host;
    this.capabilities = host.capabilities;
    this.path = host.parentPath(name);
  }

  protected async acquireGrant(request: AcquireRequest): Promise<ZooKeeperGrant | null> {
    const session = await this.sessionFor(request);
    const startedAt = monotonicNow();
    const nodePath = await this.createNode(session, randomUUID(), request.signal);
    try {
      const grant = await this.queue(session, nodePath, startedAt, request);
      if (grant === null) await this.removeNode(session, nodePath);
      return grant;
    } catch (error) {
      await this.removeNode(session, nodePath);
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
      if (!session.containers) await this.deleteParentIfEmpty(session);
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

  /**
   * Creates this attempt's node in protected mode. When the reply is lost (connection loss), the node may
   * or may not exist: once reconnected, look for it by its GUID instead of creating a second one that would
   * sit in the queue forever as an orphan.
   */
  private async createNode(
    session: ZooKeeperSession,
    guid: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const prefix = protectedPrefix(guid);
    let parentAttempts = 0;
    for (;;) {
      try {
        return await session.create(`${this.path}/${prefix}`, ZK.EPHEMERAL_SEQUENTIAL);
      } catch (error) {
        if (!(error instanceof ZooKeeperError)) throw error;
        if (error.code === ZK.NONODE && parentAttempts < MAX_PARENT_ATTEMPTS) {
          // The parent is missing, or a container reaper removed it just now: (re)create it and retry.
          parentAttempts += 1;
          await this.ensureParent(session, signal);
          continue;
        }
        if (!error.connectionLoss) throw error;
      }
      try {
        await session.whenConnected(signal);
        const found = await session.retrying(() => this.findProtected(session, prefix), signal);
        if (found !== undefined) return found;
      } catch (error) {
        // Given up while the create is in doubt: remove the node, if it exists, once reconnected.
        void this.removeProtectedLater(session, prefix);
        throw error;
      }
    }
  }

  private async findProtected(session: ZooKeeperSession, prefix: string): Promise<string | undefined> {
    let children: string[];
    try {
      children = await session.getChildren(this.path);
    } catch (error) {
      if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return undefined;
      throw error;
    }
    const child = children.find(
      (candidate) => candidate.startsWith(prefix) && lockNodeSequence(candidate) !== undefined,
    );
    return child === undefined ? undefined : `${this.path}/${child}`;
  }

  private async removeProtectedLater(session: ZooKeeperSession, prefix: string): Promise<void> {
    try {
      await session.whenConnected();
      const found = await session.retrying(() => this.findProtected(session, prefix));
      if (found !== undefined) await session.retrying(() => session.delete(found));
    } catch {
      // The session ended: the ephemeral node, if any, went with it.
    }
  }

  /** The wait loop: owner when first in sequence order; otherwise watch the predecessor and look again. */
  private async queue(
    session: ZooKeeperSession,
    nodePath: string,
    startedAt: number,
    request: AcquireRequest,
  ): Promise<ZooKeeperGrant | null> {
    const node = nodePath.slice(this.path.length + 1);
    // Sent together with the first listing: the token costs no extra round trip.
    const stat = session.retrying(() => session.exists(nodePath), request.signal);
    stat.catch(noop);
    let headGone = false;
    for (;;) {
      request.signal?.throwIfAborted();
      // Sequence numbers only grow: once the one node ahead of us is deleted, nobody can be ahead of us
      // any more, so the handoff needs no second listing (one round trip less per handoff).
      const position: QueuePosition = headGone
        ? { index: 0, predecessor: undefined }
        : await this.position(session, node, nodePath, request.signal);
      const index = position.index;
      if (index === 0) {
        const created = await stat;
        if (created === null) throw this.vanished(session, nodePath);
        return {
          token: BigInt(created.czxid),
          path: nodePath,
          session,
          ttlMs: session.sessionTimeoutMs ?? 0,
          startedAt,
        };
      }
      if (!request.wait) return null;
      // The server has answered: the lock is held, so the timeout now counts.
      request.queued();
      const gone = await this.waitForChange(session, `${this.path}/${position.predecessor}`, request.signal);
      headGone = gone && index === 1;
    }
  }

  /** Our index in the queue (children sorted by sequence) and the node just before us. */
  private async position(
    session: ZooKeeperSession,
    node: string,
    nodePath: string,
    signal: AbortSignal | undefined,
  ): Promise<QueuePosition> {
    const children = sortLockNodes(await session.retrying(() => this.children(session), signal));
    const index = children.indexOf(node);
    if (index < 0) throw this.vanished(session, nodePath);
    return { index, predecessor: children[index - 1] };
  }

  private async children(session: ZooKeeperSession): Promise<string[]> {
    try {
      return await session.getChildren(this.path);
    } catch (error) {
      if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return [];
      throw error;
    }
  }

  /**
   * Resolves when the predecessor changes or is gone (`true` when it is known to be deleted), or after a
   * reconnection (so a change missed while disconnected is seen); rejects when `signal` aborts or the
   * session is lost.
   */
  private waitForChange(
    session: ZooKeeperSession,
    predecessor: string,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown, deleted = false): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        offLost();
        offReconnect();
        if (error === undefined) resolve(deleted);
        else reject(error);
      };
      const onAbort = (): void => finish(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const offLost = session.onLost((cause) => finish(cause));
      const offReconnect = session.onReconnect(() => finish(undefined));
      // A one-shot data watch on the predecessor only: one release wakes one waiter.
      session
        .watchData(predecessor, (type) => {
          if (type !== ZK.SESSION_EVENT) finish(undefined, type === ZK.DELETED_EVENT);
        })
        .then(
          (stat) => {
            if (stat === null) finish(undefined, true);
          },
          (error: unknown) => {
            // A connection loss is followed by a reconnect (which re-checks) or by the session's loss.
            if (!(error instanceof ZooKeeperError && error.connectionLoss)) finish(error);
          },
        );
    });
  }

  /** Removes a waiter's node (timeout, abort, tryAcquire not first, error). */
  private async removeNode(session: ZooKeeperSession, nodePath: string): Promise<void> {
    if (session.lost) return;
    const remove = async (): Promise<void> => {
      await session.retrying(() => session.delete(nodePath));
      if (!session.containers) await this.deleteParentIfEmpty(session);
    };
    if (session.state === 'connected') {
      await remove().catch(noop);
    } else {
      // Disconnected: do not hold the caller until the reconnect; delete once back (or the session ends).
      void session.whenConnected().then(remove).catch(noop);
    }
  }

  /** Ensures the parent exists: a container node (reaped by the server when empty) or, on old servers, persistent. */
  private async ensureParent(session: ZooKeeperSession, signal: AbortSignal | undefined): Promise<void> {
    const create = (path: string, flags: number) =>
      session.retrying(async () => {
        try {
          await session.create(path, flags);
        } catch (error) {
          if (error instanceof ZooKeeperError && error.code === ZK.NODEEXISTS) return;
          throw error;
        }
      }, signal);
    const segments = this.path.slice(1).split('/');
    for (let depth = 1; depth <= segments.length; depth += 1) {
      const path = `/${segments.slice(0, depth).join('/')}`;
      if (depth < segments.length) {
        await create(path, ZK.PERSISTENT);
        continue;
      }
      if (session.containers) {
        try {
          await create(path, ZK.CONTAINER);
          return;
        } catch (error) {
          const unsupported =
            error instanceof ZooKeeperError &&
            (error.code === ZK.UNIMPLEMENTED || error.code === ZK.BADARGUMENTS);
          if (!unsupported) throw error;
          session.containers = false;
        }
      }
      await create(path, ZK.PERSISTENT);
    }
  }

  /** Without container support: remove the parent when the queue is empty; a concurrent acquirer recreates it. */
  private async deleteParentIfEmpty(session: ZooKeeperSession): Promise<void> {
    try {
      await session.delete(this.path);
    } catch {
      // Not empty (someone queued meanwhile) or unreachable: the next release tries again.
    }
  }

  private vanished(session: ZooKeeperSession, nodePath: string): Error {
    if (session.lost) return session.lostSignal.reason as Error;
    return new ZooKeeperError(
      'getChildren',
      nodePath,
      ZK.NONODE,
      'the queued lock node vanished (deleted by another client, or its session expired)',
    );
  }
}

function noop(): void {}
