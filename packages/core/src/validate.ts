import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { MAX_TIMER_MS } from './monotonic.js';
import { unknownKeyExpected } from './settings/did-you-mean.js';
import type { AcquireOptions, LeaseTtlRule, LockOptions } from './types.js';

/** Longest lock name accepted, in UTF-16 code units. Backends may accept less and say so. */
export const MAX_LOCK_NAME_LENGTH = 1024;

/**
 * Checks a lock name: a non-empty string, not only whitespace, no NUL character, well-formed UTF-16, at most
 * {@link MAX_LOCK_NAME_LENGTH} long. An empty name would silently be one global lock; a name with a lone
 * surrogate (`'x🎉'.slice(0, 2)`) has no UTF-8 encoding, so backends would store it as U+FFFD and two
 * distinct names would share one lock.
 */
export function validateLockName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidArgumentError('name', name, 'a string');
  if (name.trim().length === 0)
    throw new InvalidArgumentError('name', name, 'a non-empty string that is not only whitespace');
  if (name.includes('\0')) throw new InvalidArgumentError('name', name, 'a string without NUL characters');
  if (!name.isWellFormed())
    throw new InvalidArgumentError('name', name, 'well-formed UTF-16 (no lone surrogate halves)');
  if (name.length > MAX_LOCK_NAME_LENGTH)
    throw new InvalidArgumentError('name', name, `a string of at most ${MAX_LOCK_NAME_LENGTH} characters`);
}

/** Most permits a semaphore may have. Backends may accept fewer and say so. */
export const MAX_PERMITS = 1_000_000;

/** Checks a semaphore's `permits`: a whole number from 1 to {@link MAX_PERMITS}. */
export function validatePermits(permits: unknown, lockName?: string): asserts permits is number {
  if (typeof permits !== 'number' || !Number.isInteger(permits) || permits < 1 || permits > MAX_PERMITS) {
    throw new InvalidArgumentError('permits', permits, `a whole number from 1 to ${MAX_PERMITS}`, lockName);
  }
}

/** Checks a positive integer number of milliseconds that a timer can wait. */
export function validatePositiveMs(
  parameter: string,
  value: unknown,
  lockName?: string,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      parameter,
      value,
      `a positive integer number of milliseconds, at most ${MAX_TIMER_MS}`,
      lockName,
    );
  }
}

/** Checks a timeout: a finite number of milliseconds from 0 to {@link MAX_TIMER_MS}; `undefined` means forever. */
export function validateTimeoutMs(
  parameter: string,
  value: unknown,
  lockName?: string,
): asserts value is number | undefined {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      parameter,
      value,
      `a number of milliseconds from 0 to ${MAX_TIMER_MS} (omit it to wait forever)`,
      lockName,
    );
  }
}

/** Checks an optional AbortSignal. */
export function validateSignal(
  parameter: string,
  value: unknown,
  lockName?: string,
): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal) && !isAbortSignalLike(value)) {
    throw new InvalidArgumentError(parameter, value, 'an AbortSignal', lockName);
  }
}

/** Checks a plain options object (or `undefined`). */
export function validateOptionsObject(parameter: string, value: unknown, lockName?: string): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new InvalidArgumentError(parameter, value, 'an options object or undefined', lockName);
  }
}

const ACQUIRE_KEYS: readonly string[] = ['timeoutMs', 'signal', 'ttlMs'];
const TRY_KEYS: readonly string[] = ['signal', 'ttlMs'];
const LOCK_KEYS: readonly string[] = ['ttlMs', 'renewEveryMs', 'maxHoldMs'];

/**
 * Checks that an options object has only known keys: a misspelt option (`timeout` for `timeoutMs`) would
 * otherwise be ignored in silence, and a wait meant to be bounded would wait forever.
 */
export function validateKnownKeys(
  parameter: string,
  options: object,
  known: readonly string[],
  lockName?: string,
): void {
  for (const key in options) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        `${parameter}.${key}`,
        (options as Record<string, unknown>)[key],
        unknownKeyExpected(key, known, 'option'),
        lockName,
      );
    }
  }
}

/**
 * Checks the options of one acquisition. `wait: false` for `tryAcquire`, which never waits and so takes no
 * `timeoutMs`.
 */
export function validateAcquireOptions(
  options: AcquireOptions | undefined,
  lockName: string,
  wait = true,
): void {
  if (options === undefined) return;
  validateOptionsObject('options', options, lockName);
  validateKnownKeys('options', options, wait ? ACQUIRE_KEYS : TRY_KEYS, lockName);
  validateTimeoutMs('options.timeoutMs', options.timeoutMs, lockName);
  validateSignal('options.signal', options.signal, lockName);
  if (options.ttlMs !== undefined) validatePositiveMs('options.ttlMs', options.ttlMs, lockName);
}

/**
 * Checks per-lock options given by a caller: only known keys (the `LockOptions` ones, and `extraKeys` a lock
 * of its own adds), and valid values, including the relation between renewal interval and TTL.
 */
export function validateLockOptions(
  options: LockOptions | undefined,
  lockName: string,
  extraKeys: readonly string[] = [],
): void {
  if (options === undefined) return;
  validateOptionsObject('options', options, lockName);
  validateKnownKeys(
    'options',
    options,
    extraKeys.length === 0 ? LOCK_KEYS : [...LOCK_KEYS, ...extraKeys],
    lockName,
  );
  validateLockOptionValues(options, lockName);
}

/**
 * Checks the values of per-lock options, leaving other keys alone: for settings a backend assembles itself
 * (its own construction settings beside the caller's options, which were checked by `validateLockOptions`).
 */
export function validateLockOptionValues(options: LockOptions, lockName: string): void {
  if (options.ttlMs !== undefined) validatePositiveMs('options.ttlMs', options.ttlMs, lockName);
  if (options.maxHoldMs !== undefined) validatePositiveMs('options.maxHoldMs', options.maxHoldMs, lockName);
  if (options.renewEveryMs !== undefined) {
    validatePositiveMs('options.renewEveryMs', options.renewEveryMs, lockName);
    if (options.ttlMs !== undefined) validateRenewEvery(options.renewEveryMs, options.ttlMs, lockName);
  }
}

/**
 * The lease-length rule of a backend whose leases all live as long as its session (an etcd lease, a ZooKeeper
 * session): only the session's TTL is accepted. `minMs` and `stepMs` describe what the session itself can be
 * given (etcd: whole seconds from 2 s); by default the session's TTL is the only length there is.
 */
export function sessionTtlRule(
  sessionTtlMs: number,
  limits: { readonly minMs?: number; readonly stepMs?: number } = {},
): LeaseTtlRule {
  return Object.freeze({
    setBy: 'session',
    minMs: limits.minMs ?? sessionTtlMs,
    stepMs: limits.stepMs ?? 1,
    sessionTtlMs,
  });
}

/**
 * Checks a lease length against the backend's {@link LeaseTtlRule} (after {@link validatePositiveMs}):
 * within its bounds, a whole multiple of its step, and equal to the session's TTL where the session sets it.
 */
export function validateLeaseTtl(
  parameter: string,
  ttlMs: number,
  rule: LeaseTtlRule | undefined,
  lockName?: string,
): void {
  if (rule === undefined) return;
  if (rule.setBy === 'session') {
    if (ttlMs !== rule.sessionTtlMs) {
      throw new InvalidArgumentError(
        parameter,
        ttlMs,
        `omitted, or the session's TTL (${rule.sessionTtlMs} ms): on this backend every lease lasts as long as the provider's session, so set the provider's ttlMs instead`,
        lockName,
      );
    }
    return;
  }
  const maxMs = rule.maxMs ?? MAX_TIMER_MS;
  if (ttlMs < rule.minMs || ttlMs > maxMs || ttlMs % rule.stepMs !== 0) {
    const what = rule.stepMs === 1 ? 'a whole number of ms' : `a multiple of ${rule.stepMs} ms`;
    throw new InvalidArgumentError(
      parameter,
      ttlMs,
      `${what} from ${rule.minMs} to ${maxMs}, the lease lengths this backend grants exactly`,
      lockName,
    );
  }
}

/** A renewal interval must leave time for a retry before the lease runs out: at most half the TTL. */
export function validateRenewEvery(renewEveryMs: number, ttlMs: number, lockName?: string): void {
  if (renewEveryMs * 2 > ttlMs) {
    throw new InvalidArgumentError(
      'options.renewEveryMs',
      renewEveryMs,
      `at most half of ttlMs (${ttlMs}), so a failed renewal can be retried before the lease expires`,
      lockName,
    );
  }
}

/** Checks that a callback is a function. */
export function validateFunction(
  parameter: string,
  value: unknown,
  lockName?: string,
): asserts value is Function {
  if (typeof value !== 'function') throw new InvalidArgumentError(parameter, value, 'a function', lockName);
}

/** An AbortSignal from another realm (vm, a test environment) or a faithful polyfill. */
function isAbortSignalLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  return (
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function' &&
    typeof candidate.removeEventListener === 'function'
  );
}
