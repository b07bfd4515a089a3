import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  type Grant,
  monotonicNow,
} from '@lock/core';
import { grantedToken } from '../shared/fence.js';
import { type LockKeys, lockKeys } from '../shared/lock-keys.js';
import { newOwnerId } from '../shared/owner-id.js';
import { runScript } from '../shared/run-script.js';
import { ACQUIRE, EXTEND, EXTENDED, FREED, HANDED_OVER, MODE_TRY, RELEASE, STAY } from '../shared/scripts.js';
import { everyInstance, type RedlockInstances } from './every-instance.js';
import { RedlockQuorumError, type RedlockVote } from './redlock-quorum-error.js';

/** One Redlock grant: the same owner id on a majority of instances. */
export interface RedlockGrant extends Grant {
  /** Highest per-instance fence seen; not a fencing token (instances count independently). */
  readonly token: bigint;
  readonly ttlMs: number;
  readonly startedAt: number;
  /** Redlock's drift margin: `ttlMs x driftFactor + 2` ms, taken off every safe deadline. */
  readonly driftMs: number;
  readonly owner: string;
}

/** What a {@link RedlockLock} shares with its provider. @internal */
export interface RedlockBackend extends RedlockInstances {
  readonly prefix: string;
  readonly capabilities: Capabilities;
  readonly driftFactor: number;
}

/**
 * A Redlock lock over N independent Redis instances: granted when a majority set the key within the
 * validity time (TTL minus elapsed time minus clock drift). It never waits in line (`waiting: 'none'`) and
 * does not fence (`fencing: false`): independent counters give no monotonic token. Made by `RedlockProvider`.
 */
export class RedlockLock extends BaseLock<RedlockGrant> {
  readonly capabilities: Capabilities;
  readonly keys: LockKeys;
  private readonly backend: RedlockBackend;
  private readonly quorum: number;

  /** @internal Use `provider.lock(name)`. */
  constructor(name: string, settings: BaseLockSettings, backend: RedlockBackend) {
    super(name, settings);
    this.backend = backend;
    this.capabilities = backend.capabilities;
    this.keys = lockKeys(backend.prefix, name);
    this.quorum = Math.floor(backend.clients.length / 2) + 1;
  }

  protected async acquireGrant(request: AcquireRequest): Promise<RedlockGrant | null> {
    const owner = newOwnerId();
    const ttlMs = request.ttlMs;
    const startedAt = monotonicNow();
    const replies = await everyInstance(this.backend, (client) =>
      runScript(client, ACQUIRE, this.keys.all, [owner, ttlMs, MODE_TRY, 0, NO_RETENTION]),
    );
    const votes: RedlockVote[] = [];
    let highest = 0n;
    replies.forEach((reply, index) => {
      const endpoint = this.backend.endpoints[index]!;
      const token = reply instanceof Error ? undefined : grantedToken(reply);
      if (reply instanceof Error) votes.push({ endpoint, outcome: 'error', error: reply.message });
      else if (token !== undefined) {
        votes.push({ endpoint, outcome: 'granted' });
        if (token > highest) highest = token;
      } else votes.push({ endpoint, outcome: 'held' });
    });
    const granted = votes.filter((vote) => vote.outcome === 'granted').length;
    const errors = votes.filter((vote) => vote.outcome === 'error').length;
    const driftMs = Math.floor(ttlMs * this.backend.driftFactor) + 2;
    const validityMs = ttlMs - (monotonicNow() - startedAt) - driftMs;
    if (granted >= this.quorum && validityMs > 0) {
      // The grant carries Redlock's drift, so core's safe deadline (start + TTL - drift) stays inside the
      // validity time, for the first grant and for every renewal.
      return { token: highest, ttlMs, startedAt, driftMs, owner };
    }
    // Undo partial grants everywhere, also where the answer was lost (the script may have run there).
    await everyInstance(this.backend, (client) =>
      runScript(client, RELEASE, this.keys.all, [owner, STAY, NO_RETENTION]),
    );
    if (granted >= this.quorum) {
      throw new RedlockQuorumError(
        this.name,
        'acquire',
        votes,
        this.quorum,
        `; validity used up (${validityMs} ms left)`,
      );
    }
    // Held by others on enough instances that failures alone did not cost the quorum: a plain "held".
    if (granted + errors < this.quorum || errors === 0) return null;
    throw new RedlockQuorumError(this.name, 'acquire', votes, this.quorum);
  }

  protected async releaseGrant(grant: RedlockGrant): Promise<boolean> {
    const replies = await everyInstance(this.backend, (client) =>
      runScript(client, RELEASE, this.keys.all, [grant.owner, STAY, NO_RETENTION]),
    );
    return replies.some((reply) => reply === FREED || reply === HANDED_OVER);
  }

  protected override async extendGrant(grant: RedlockGrant, ttlMs: number): Promise<boolean> {
    const replies = await everyInstance(this.backend, (client) =>
      runScript(client, EXTEND, this.keys.extend, [grant.owner, ttlMs, NO_RETENTION]),
    );
    const extended = replies.filter((reply) => reply === EXTENDED).length;
    const errors = replies.filter((reply) => reply instanceof Error).length;
    if (extended >= this.quorum) return true;
    if (extended + errors < this.quorum) return false;
    throw this.quorumError('extend', replies);
  }

  private quorumError(operation: string, replies: readonly unknown[]): RedlockQuorumError {
    const votes: RedlockVote[] = replies.map((reply, index) => ({
      endpoint: this.backend.endpoints[index]!,
      outcome: reply instanceof Error ? 'error' : reply === EXTENDED ? 'granted' : 'held',
      error: reply instanceof Error ? reply.message : undefined,
    }));
    return new RedlockQuorumError(this.name, operation, votes, this.quorum);
  }
}

/** Redlock keeps each instance's counter forever (its tokens are not fencing tokens anyway). */
const NO_RETENTION = 0;
