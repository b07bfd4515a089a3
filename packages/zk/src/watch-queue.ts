import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/** A listing of a lock's queue with a child watch set by the same request. @internal */
export interface WatchedQueue {
  /** The children when the watch was set (empty when the parent is gone). */
  readonly children: string[];
  /**
   * Resolves when a child joins or leaves, or after a reconnection (a change missed while disconnected is
   * looked for again); rejects when the signal aborts or the session is lost.
   */
  readonly changed: Promise<void>;
  /** Stops listening (the one-shot watch, if it fires later, is ignored). */
  cancel(): void;
}

/**
 * Lists the parent `path` and watches its children in one request, so no change after the listing can be
 * missed: what a semaphore's first waiter does, since any holder's release grants it.
 * @internal
 */
export async function watchQueue(
  session: ZooKeeperSession,
  path: string,
  signal: AbortSignal | undefined,
): Promise<WatchedQueue> {
  let settle: (error?: unknown) => void = () => undefined;
  let settled = false;
  const changed = new Promise<void>((resolve, reject) => {
    settle = (error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      offLost();
      offReconnect();
      if (error === undefined) resolve();
      else reject(error);
    };
  });
  changed.catch(() => undefined);
  const onAbort = (): void => settle(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const offLost = session.onLost((cause) => settle(cause));
  const offReconnect = session.onReconnect(() => settle());
  let children: string[];
  try {
    children = await session.retrying(async () => {
      try {
        return await session.watchChildren(path, (type) => {
          if (type !== ZK.SESSION_EVENT) settle();
        });
      } catch (error) {
        if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return [];
        throw error;
      }
    }, signal);
  } catch (error) {
    settle(error);
    throw error;
  }
  return { children, changed, cancel: () => settle(new Error('cancelled')) };
}
