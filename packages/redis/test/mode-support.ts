// What the read-write lock and semaphore tests share: providers on one server, the broken variants (mutants)
// each safety check is also run against, and a counter of who holds what at once.
import type { LockOptions } from '@lock/core';
import { type RedisLock, RedisProvider, type RedisProviderOptions } from '../src/index.js';
import { KIND_READ, KIND_WRITE, type LockProtocol, modeProtocol, script } from '../src/internal.js';

/** Rewrites the protocol of every lock handle a provider makes. */
export type Mutation = (protocol: LockProtocol) => LockProtocol;

/** A provider whose lock handles run a broken protocol: the mutant a safety check must catch. */
export class MutantProvider extends RedisProvider {
  private readonly mutation: Mutation;

  constructor(options: RedisProviderOptions, mutation: Mutation) {
    super(options);
    this.mutation = mutation;
  }

  protected override makeLock(
    name: string,
    options: LockOptions | undefined,
    protocol: LockProtocol | undefined,
  ): RedisLock {
    return super.makeLock(name, options, protocol === undefined ? undefined : this.mutation(protocol));
  }
}

/** Replaces `from` by `to` in the mode scripts' sources (failing loudly if the text is not there). */
function patchScripts(protocol: LockProtocol, from: string, to: string): LockProtocol {
  const patch = (source: string): string => source.split(from).join(to);
  if (!protocol.acquire.source.includes(from) && !protocol.release.source.includes(from))
    throw new Error(`mutant: ${JSON.stringify(from)} is not in the scripts`);
  return {
    ...protocol,
    acquire: script(patch(protocol.acquire.source)),
    release: script(patch(protocol.release.source)),
    extend: script(patch(protocol.extend.source)),
  };
}

/** A write grant that acts as a read grant (shared with readers and other writers). */
export const writeActsAsRead: Mutation = (protocol) =>
  protocol.acquireArgs[0] === KIND_WRITE ? modeProtocol(KIND_READ) : protocol;

/** A semaphore that admits N+1 holders. */
export const admitsOneMore: Mutation = (protocol) =>
  patchScripts(protocol, 'return held < permits', 'return held <= permits');

/** Readers that barge past a queued writer (grant whenever the mode fits, queue or not). */
export const bargingGrants: Mutation = (protocol) =>
  patchScripts(
    protocol,
    "if redis.call('ZCARD', KEYS[3]) == 0 and fits(kind, permits) then",
    'if fits(kind, permits) then',
  );

/**
 * A dead holder's grant never comes back: expired holders are neither reaped by the scripts nor dropped with the
 * holders key's own expiry.
 */
export const deadHoldersStay: Mutation = (protocol) =>
  patchScripts(
    patchScripts(
      protocol,
      "local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)",
      'local dead = {}',
    ),
    "if redis.call('PEXPIRETIME', key) < at then redis.call('PEXPIREAT', key, at) end",
    '',
  );

/** A waiter that leaves the queue without handing on: the waiters it held back stay waiting. */
export const leaveWithoutHandoff: Mutation = (protocol) =>
  patchScripts(protocol, 'else\n  handoff(now, retain)\n', 'else\n');

/** Who holds what at once: the most holders seen together, and grants that broke the rule. */
export class HolderCount {
  readers = 0;
  writers = 0;
  permits = 0;
  mostPermits = 0;
  mostReaders = 0;
  /** A writer beside any other holder. */
  overlaps = 0;

  read(): () => void {
    this.readers += 1;
    this.mostReaders = Math.max(this.mostReaders, this.readers);
    if (this.writers > 0) this.overlaps += 1;
    return () => {
      this.readers -= 1;
    };
  }

  write(): () => void {
    this.writers += 1;
    if (this.writers > 1 || this.readers > 0) this.overlaps += 1;
    return () => {
      this.writers -= 1;
    };
  }

  permit(): () => void {
    this.permits += 1;
    this.mostPermits = Math.max(this.mostPermits, this.permits);
    return () => {
      this.permits -= 1;
    };
  }
}
