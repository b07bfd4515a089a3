import { InvalidArgumentError } from '@lock/core';
import { DURABILITY_RANK, SCOPE_RANK } from './capability-ranks.js';
import type { LockNeeds, ResolvedNeeds } from './types.js';

/**
 * Fills in the defaults of a policy's needs: `scope: 'process'`, `durability: 'memory'`, no fencing,
 * blocking, no latency or throughput bound.
 */
export function resolveNeeds(needs: LockNeeds = {}): ResolvedNeeds {
  return {
    scope: needs.scope ?? 'process',
    durability: needs.durability ?? 'memory',
    fencing: needs.fencing ?? false,
    blocking: needs.blocking ?? true,
    maxLatencyMs: needs.maxLatencyMs,
    minOpsPerSec: needs.minOpsPerSec,
    mode: needs.mode ?? 'exclusive',
    permits: needs.permits,
  };
}

/**
 * Combines a policy's needs with extra needs (a command's, a caller's): the stricter of each wins, and
 * `blocking` is taken from the extra needs when they give it.
 */
export function combineNeeds(base: ResolvedNeeds, extra: LockNeeds | undefined): ResolvedNeeds {
  if (extra === undefined) return base;
  const stricter = <T extends string>(rank: Record<T, number>, left: T, right: T | undefined): T =>
    right !== undefined && rank[right] > rank[left] ? right : left;
  const lower = (left: number | undefined, right: number | undefined) =>
    left === undefined ? right : right === undefined ? left : Math.min(left, right);
  const higher = (left: number | undefined, right: number | undefined) =>
    left === undefined ? right : right === undefined ? left : Math.max(left, right);
  return {
    scope: stricter(SCOPE_RANK, base.scope, extra.scope),
    durability: stricter(DURABILITY_RANK, base.durability, extra.durability),
    fencing: base.fencing || extra.fencing === true,
    blocking: extra.blocking ?? base.blocking,
    maxLatencyMs: lower(base.maxLatencyMs, extra.maxLatencyMs),
    minOpsPerSec: higher(base.minOpsPerSec, extra.minOpsPerSec),
    mode: extra.mode === 'shared' ? 'shared' : base.mode,
    permits: combinePermits(base.permits, extra.permits),
  };
}

/** A policy's permits and a call's must agree: a semaphore's limit is one number for every holder. */
function combinePermits(policy: number | undefined, call: number | undefined): number | undefined {
  if (policy === undefined || call === undefined || policy === call) return call ?? policy;
  throw new InvalidArgumentError(
    'permits',
    call,
    `the policy's ${policy} permits, or omitted: every holder of a semaphore must use the same number`,
  );
}

/** Renders needs as the list `selector.explain` and errors print, e.g. `scope >= cluster`. */
export function describeNeeds(needs: ResolvedNeeds): string[] {
  const lines = [`scope >= ${needs.scope}`, `durability >= ${needs.durability}`];
  if (needs.fencing) lines.push('fencing');
  lines.push(needs.blocking ? 'blocking (wait in line)' : 'preempt (try once)');
  if (needs.maxLatencyMs !== undefined) lines.push(`p50 <= ${needs.maxLatencyMs} ms`);
  if (needs.minOpsPerSec !== undefined) lines.push(`>= ${needs.minOpsPerSec} ops/s`);
  if (needs.mode === 'shared') lines.push('read-write lock');
  if (needs.permits !== undefined) lines.push(`semaphore of ${needs.permits} permits`);
  return lines;
}
