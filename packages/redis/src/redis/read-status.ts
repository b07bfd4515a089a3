import { LockBackendError, type LockMode, type LockParticipant, type LockStatus } from '@lock/core';
import { lockKeys } from '../shared/lock-keys.js';
import { type ModeKeys, modeKeys } from '../shared/mode-keys.js';
import { KIND_READ, KIND_WRITE, STATUS_NAME } from '../shared/mode-scripts.js';
import { runScript } from '../shared/run-script.js';
import type { RedisBackend } from './lock-context.js';

/** How many waiters (and, of a read-write lock or semaphore, holders) a status lists; the counts count all. */
export const LISTED_WAITERS = 100;

type StatusReply = [
  holder: string | null,
  fence: string | null,
  pttlMs: number,
  queued: number,
  serverNowMs: number,
  listed: string[],
  deadlines: Array<string | null>,
];

type ModeGroup = [
  holders: string[],
  tokens: Array<string | null>,
  kind: string | null,
  permits: string | null,
  queued: number,
  listed: string[],
  infos: Array<string | null>,
  holderCount: number,
  grantedAt: Array<string | null>,
];
type NameReply = [lock: StatusReply, groups: [readWrite: ModeGroup, semaphore: ModeGroup]];

/**
 * Who holds `name` and who waits, across the name's three primitives (its exclusive lock, its read-write lock,
 * its semaphore), read in one atomic step: holders with their tokens (a read-write lock's with their mode),
 * the live waiters in grant order (the exclusive lock's, then the read-write lock's with the mode they wait for,
 * then the semaphore's), the last token issued (the shared fence counter, also when the name is free), and the
 * semaphore's `permits` while it has holders or waiters. Queue entries whose deadline has passed are left out:
 * the next handoff skips them as dead. `details`: the keys, `holderTtlMs` (the exclusive grant's remaining TTL,
 * null when free), `expiredWaiters` (dead entries among those listed). A read-write lock's or a semaphore's
 * holder has `ageMs`: the server's clock now minus the grant time its grant stored beside its token (one clock,
 * so no skew). The exclusive lock's holder and every waiter have none: the exclusive key holds only the owner id,
 * which every script compares, and a waiter's entry keeps only its deadline, rewritten at each re-check.
 * Rejects with `LockBackendError` when Redis fails or does not answer within `commandTimeoutMs`.
 */
export async function readStatus(backend: RedisBackend, name: string): Promise<LockStatus> {
  const keys = lockKeys(backend.prefix, name);
  const readWrite = modeKeys(backend.prefix, name, 'rw');
  const semaphore = modeKeys(backend.prefix, name, 'sem');
  let reply: NameReply;
  try {
    reply = (await backend.deadlines.bound(
      runScript(
        backend.client,
        STATUS_NAME,
        [...keys.all, ...groupKeys(readWrite), ...groupKeys(semaphore)],
        [LISTED_WAITERS],
      ),
      'status',
    )) as NameReply;
  } catch (error) {
    throw new LockBackendError('redis', 'status', { lockName: name, cause: error });
  }
  const [[holder, fence, pttlMs, queued, serverNowMs, listed, deadlines], [rwGroup, semGroup]] = reply;
  const lastToken = fence === null ? null : BigInt(fence);
  const holders: LockParticipant[] =
    holder === null ? [] : [{ id: holder, token: fence === null ? null : BigInt(fence) }];
  const waiters: LockParticipant[] = [];
  let expired = 0;
  listed.forEach((owner, index) => {
    const deadline = Number(/^(\d+):/.exec(deadlines[index] ?? '')?.[1] ?? 0);
    if (deadline >= serverNowMs) waiters.push({ id: owner, token: null });
    else expired += 1;
  });
  let waiterCount = queued - expired;
  for (const group of [rwGroup, semGroup]) {
    const [owners, tokens, kind, , groupQueued, groupListed, infos, , grantedAt] = group;
    const holderMode = modeOf(kind);
    owners.forEach((owner, index) => {
      const text = tokens[index];
      const grantedAtMs = Number(grantedAt?.[index] ?? Number.NaN);
      holders.push({
        id: owner,
        token: text ? BigInt(text) : null,
        ...(holderMode && { mode: holderMode }),
        ...(Number.isFinite(grantedAtMs) && { ageMs: Math.max(0, serverNowMs - grantedAtMs) }),
      });
    });
    let groupExpired = 0;
    groupListed.forEach((owner, index) => {
      const match = /^(\d+):\d+:(\w)$/.exec(infos[index] ?? '');
      if (match === null || Number(match[1]) < serverNowMs) {
        groupExpired += 1;
        return;
      }
      const waitsFor = modeOf(match[2]!);
      waiters.push({ id: owner, token: null, ...(waitsFor && { mode: waitsFor }) });
    });
    expired += groupExpired;
    waiterCount += groupQueued - groupExpired;
  }
  const permits = semGroup[3];
  return {
    name,
    holders,
    waiters,
    waiterCount,
    lastToken,
    ...(permits !== null && { permits: Number(permits) }),
    details: {
      keys: { lock: keys.lock, fence: keys.fence, queue: keys.queue, deadlines: keys.deadlines },
      readWriteKeys: keysOf(readWrite),
      semaphoreKeys: keysOf(semaphore),
      holderTtlMs: holder === null ? null : pttlMs,
      readWriteHolders: rwGroup[7],
      permitHolders: semGroup[7],
      expiredWaiters: expired,
    },
  };
}

/** A read-write lock's kind as a mode; none for a semaphore's permits. */
function modeOf(kind: string | null): LockMode | undefined {
  if (kind === KIND_READ) return 'shared';
  return kind === KIND_WRITE ? 'exclusive' : undefined;
}

function groupKeys(keys: ModeKeys): string[] {
  return [keys.holders, keys.queue, keys.deadlines, keys.state];
}

function keysOf(keys: ModeKeys): Readonly<Record<string, string>> {
  return { holders: keys.holders, queue: keys.queue, deadlines: keys.deadlines, state: keys.state };
}
