import { sleep } from '@lock/core';
import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import type { Turn } from './turn.js';

/** Pause between attempts to delete a key whose first deletion had an unknown outcome. */
const CLEANUP_RETRY_MS = 250;

/**
 * Deletes our key (only if its create revision is still `revision`, when given) and then gives the turn
 * back. Resolves `true` if the key was ours and is now gone, `false` if the grant was already lost. If the
 * first attempt's outcome is unknown, resolves `undefined` at once and keeps retrying in the background,
 * holding the turn, until it succeeds or the session ends (its keys then die with the lease).
 * @internal
 */
export function removeKey(
  context: LockContext,
  session: EtcdSession,
  key: string,
  revision: bigint | undefined,
  turn: Turn,
): Promise<boolean | undefined> {
  const { backend } = context;
  const attempt = () => deleteOnce(context, session, Buffer.from(key), revision);
  return attempt().then(
    (removed) => {
      turn.leave();
      return removed;
    },
    () => {
      void (async () => {
        while (!session.lost && !backend.closeSignal.aborted) {
          await sleep(CLEANUP_RETRY_MS, backend.closeSignal);
          try {
            await attempt();
            break;
          } catch {
            // Still unknown: try again while the session lives.
          }
        }
        turn.leave();
      })();
      return undefined;
    },
  );
}

async function deleteOnce(
  { backend }: LockContext,
  session: EtcdSession,
  keyBuffer: Buffer,
  revision: bigint | undefined,
): Promise<boolean> {
  const reply = await backend.call((options) =>
    backend.client.kv.txn(
      {
        compare:
          revision === undefined
            ? []
            : [{ key: keyBuffer, target: 'Create', result: 'Equal', create_revision: revision.toString() }],
        success: [{ request_delete_range: { key: keyBuffer } }],
        failure: [{ request_range: { key: keyBuffer, keys_only: true } }],
      },
      options,
    ),
  );
  if (revision === undefined) return reply.responses[0]?.response_delete_range.deleted !== '0';
  if (reply.succeeded) return true;
  if ((reply.responses[0]?.response_range.kvs.length ?? 0) > 0) return false;
  // The key is gone. A resent or hedged copy of this deletion may have been applied first; then the
  // session's lease is still alive. If the lease is gone, the key went with it: the grant was lost before.
  const lease = await backend.call((options) =>
    backend.client.leaseClient.leaseTimeToLive({ ID: session.leaseId.toString() }, options),
  );
  return Number(lease.TTL) > 0;
}
