import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import { waitForChange } from './wait-for-change.js';

/**
 * Watches one key until the incarnation created at `createRevision` is deleted. Rejects when `signal` aborts
 * or the session ends; a broken watch resolves so the caller looks again (never a silent hang).
 *
 * The watch starts at the current revision (see {@link waitForChange}), so once it exists one read checks
 * that the key did not go in between.
 * @internal
 */
export function waitForDelete(
  context: LockContext,
  session: EtcdSession,
  key: Buffer,
  createRevision: string,
  signal: AbortSignal,
): Promise<void> {
  const { backend } = context;
  // Gone, or deleted and put again by its session (a new incarnation queues behind us).
  const gone = () =>
    backend
      .call((options) => backend.client.kv.range({ key, keys_only: true }, options))
      .then((reply) => reply.kvs[0]?.create_revision !== createRevision);
  return waitForChange(context, session, { key }, gone, signal);
}
