import { CountedGrant, MutexGrant, type MutexState } from './mutex-state.js';

/**
 * Grants, in queue order, every waiter at the head of `state` that the name can take now: the run of
 * readers at the head while no writer holds, or the head writer once the name is free. It stops at the
 * first waiter that must wait, so nobody is granted past an earlier waiter (a waiting writer holds back the
 * readers behind it). Called when a grant ends and when a waiter leaves the head (an aborted writer must not
 * keep holding back the readers queued behind it). Tokens are drawn in grant order.
 * @internal
 */
export function admitWaiting(state: MutexState): void {
  for (let waiter = state.head; waiter !== undefined; waiter = state.head) {
    if (state.holder !== undefined) return;
    if (waiter.shared) {
      state.shift();
      state.readers++;
      waiter.grant(new CountedGrant(++state.tokens.last, state));
      continue;
    }
    if (state.readers !== 0) return;
    state.shift();
    const grant = new MutexGrant(++state.tokens.last, state);
    state.holder = grant;
    waiter.grant(grant);
    return;
  }
}
