import { InvalidArgumentError, PermitsMismatchError } from '@lock/core';
import type { IKeyValue, IRangeRequest } from 'etcd3';
import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import { waitForPermit } from './wait-for-permit.js';
import { waitForTurn } from './wait-for-turn.js';

/**
 * How one kind of acquisition queues under a name's prefix: the key it puts, what its enqueue reads, when it
 * holds, and how it waits. Every key of a name lives under `NAME/` and is ordered by create revision (its
 * fencing token), so every mode keeps arrival order with the others:
 * - exclusive (`lock(name)` and a read-write lock's writer): `NAME/<lease hex>`, Go's mutex key, so
 *   `etcdctl lock NAME` contends too; holds when no key is older; waits on the last key before it;
 * - shared (a reader): `NAME/read/<lease hex>-<n>`; holds when no exclusive key is older; waits on the last
 *   exclusive key before it (etcd's recipe RWMutex);
 * - permit (a semaphore): `NAME/sem/<lease hex>-<n>`, its value the permits; holds when among the first
 *   `permits` keys (see `waitForPermit`).
 * @internal
 */
export interface KeyMode {
  /** The mode of its grants, as `status` reports it; `undefined` for a semaphore's permit. */
  readonly mode: 'exclusive' | 'shared' | undefined;
  /** The key of one acquisition under `session` (unique per acquisition, except the exclusive one). */
  key(context: LockContext, session: EtcdSession): string;
  /** The key's value. */
  readonly value: Buffer;
  /** The reads the enqueue transaction makes after the put (its responses are handed to `holds`). */
  reads(context: LockContext): IRangeRequest[];
  /**
   * Whether the key created at `revision` holds, from the enqueue's reads; throws a typed error when the name
   * is used another way (a semaphore of another `permits`, a lock on a semaphore's name).
   */
  holds(context: LockContext, revision: bigint, read: readonly (readonly IKeyValue[])[]): boolean;
  /** Waits until the key holds; resolves with the send time of the read that proved it (see waitForTurn). */
  wait(
    context: LockContext,
    session: EtcdSession,
    keyBuffer: Buffer,
    revision: bigint,
    signal: AbortSignal,
  ): Promise<number>;
}

/** The segment before a reader's key. */
const READ_SEGMENT = 'read/';
/** The segment before a semaphore permit's key. */
const PERMIT_SEGMENT = 'sem/';
/**
 * Exclusive keys end in a lease id in lowercase hex (`[0-9a-f]+`), so they are exactly the keys of the range
 * `[NAME/0, NAME/g)`, which holds no `read/` or `sem/` key ('r' and 's' sort after 'g').
 */
const EXCLUSIVE_FIRST = '0';
const EXCLUSIVE_END = 'g';

/** Acquisitions of this process, so two of one session and name never share a key. */
let acquisitions = 0;

/** `lock(name)` and the write side of a read-write lock: Go's mutex. @internal */
export const exclusiveMode: KeyMode = {
  mode: 'exclusive',
  key: (context, session) => `${context.keyPrefix}${session.leaseHex}`,
  value: Buffer.alloc(0),
  reads: (context) => [firstKey(context)],
  holds(context, revision, [first]) {
    const owner = first?.[0];
    refuseOnSemaphore(context, owner);
    return owner === undefined || BigInt(owner.create_revision) === revision;
  },
  wait: (context, session, keyBuffer, revision, signal) =>
    waitForTurn(
      context,
      session,
      keyBuffer,
      revision,
      { key: context.prefix, end: context.prefixEnd },
      signal,
    ),
};

/** The read side of a read-write lock. @internal */
export const sharedMode: KeyMode = {
  mode: 'shared',
  key: (context, session) => `${context.keyPrefix}${READ_SEGMENT}${session.leaseHex}-${++acquisitions}`,
  value: Buffer.alloc(0),
  reads: (context) => [
    firstKey(context),
    { ...exclusiveRange(context), sort_target: 'Create', sort_order: 'Ascend', limit: 1, keys_only: true },
  ],
  holds(context, revision, [first, firstWriter]) {
    refuseOnSemaphore(context, first?.[0]);
    const writer = firstWriter?.[0];
    return writer === undefined || BigInt(writer.create_revision) > revision;
  },
  wait: (context, session, keyBuffer, revision, signal) => {
    const writers = exclusiveRange(context);
    return waitForTurn(
      context,
      session,
      keyBuffer,
      revision,
      { key: writers.key, end: writers.range_end },
      signal,
    );
  },
};

/** One permit of a semaphore with `permits` permits. @internal */
export function permitMode(permits: number): KeyMode {
  return {
    mode: undefined,
    key: (context, session) => `${context.keyPrefix}${PERMIT_SEGMENT}${session.leaseHex}-${++acquisitions}`,
    value: Buffer.from(String(permits)),
    reads: (context) => [{ ...firstKey(context), limit: permits, keys_only: false }],
    holds(context, revision, [firstKeys]) {
      const oldest = firstKeys?.[0];
      if (oldest !== undefined && !isPermitKey(context, oldest))
        throw inUseAs(context.name, 'a lock or read-write lock', 'semaphore');
      // The oldest key's number is the name's: a later one that disagrees is refused (and removes itself).
      const existing = oldest === undefined ? permits : Number(oldest.value.toString());
      if (existing !== permits) throw new PermitsMismatchError(context.name, permits, existing);
      return (firstKeys ?? []).some((kv) => BigInt(kv.create_revision) === revision);
    },
    wait: (context, session, keyBuffer, revision, signal) =>
      waitForPermit(context, session, keyBuffer, revision, permits, signal),
  };
}

/** The mode a key of a name's prefix was put by (`status` reads it from the key alone). @internal */
export function modeOfKey(keyPrefix: string, key: string): 'exclusive' | 'shared' | 'permit' {
  const rest = key.slice(keyPrefix.length);
  if (rest.startsWith(READ_SEGMENT)) return 'shared';
  if (rest.startsWith(PERMIT_SEGMENT)) return 'permit';
  return 'exclusive';
}

function firstKey(context: LockContext): IRangeRequest {
  return {
    key: context.prefix,
    range_end: context.prefixEnd,
    sort_target: 'Create',
    sort_order: 'Ascend',
    limit: 1,
    keys_only: true,
  };
}

function exclusiveRange(context: LockContext): { key: Buffer; range_end: Buffer } {
  return {
    key: Buffer.from(`${context.keyPrefix}${EXCLUSIVE_FIRST}`),
    range_end: Buffer.from(`${context.keyPrefix}${EXCLUSIVE_END}`),
  };
}

function isPermitKey(context: LockContext, kv: IKeyValue): boolean {
  return modeOfKey(context.keyPrefix, kv.key.toString()) === 'permit';
}

function refuseOnSemaphore(context: LockContext, owner: IKeyValue | undefined): void {
  if (owner !== undefined && isPermitKey(context, owner)) throw inUseAs(context.name, 'a semaphore', 'lock');
}

function inUseAs(lockName: string, user: string, asked: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'name',
    lockName,
    `a name that is not in use by ${user} (one name is either a semaphore or a lock; the later ${asked} is refused)`,
    lockName,
  );
}
