import type { EtcdSession } from './etcd-session.js';
import type { LocalSlot } from './local-slot.js';

/**
 * The right to have one key in etcd for one name: the provider's local turn for the name, and a use of the
 * session whose lease carries the key (a retired session is revoked once no turn uses it). @internal
 */
export interface Turn {
  /** Gives both back: the key is gone (or dies with its lease). Idempotent. */
  leave(): void;
  /** Gives back the use of the session only, keeping the local turn (to go on under a new session). */
  dropSession(): void;
}

/** Takes a use of `session` for the local turn `slot` already entered. @internal */
export function sessionTurn(slot: LocalSlot, session: EtcdSession): Turn {
  const release = session.hold();
  let left = false;
  return {
    leave() {
      if (left) return;
      left = true;
      release();
      slot.leave();
    },
    dropSession: release,
  };
}
