/**
 * A fencing token: strictly increasing per lock name across holders (where `capabilities.fencing` is true).
 *
 * Hand it to the resource you protect and have the resource reject writes that carry a token lower than
 * one it has already seen. Always compare tokens as `bigint`: never as strings ("10" < "9") or as numbers
 * (tokens can exceed 2^53).
 */
export type FencingToken = bigint;

/** Options for one acquisition. */
export interface AcquireOptions {
  /**
   * Longest time to wait for another holder, in milliseconds on the monotonic clock. `undefined` waits
   * forever; `0` does not wait (rejects with `LockTimeoutError` at once when the lock is held). Must be a
   * finite number from 0 to 2,147,483,647.
   *
   * It bounds the wait, not the backend's answer: a free lock is granted however small `timeoutMs` is, and on
   * a server backend the first request is carried to its answer, bounded by the backend's own request timeout.
   * A server that does not answer fails the acquisition with `LockBackendError`, never with
   * `LockTimeoutError`: a `LockTimeoutError` always means the lock was seen held.
   */
  timeoutMs?: number | undefined;
  /** Cancels the wait: the acquisition rejects with `signal.reason` and leaves nothing behind. */
  signal?: AbortSignal | undefined;
  /**
   * Lease length in milliseconds for backends whose grants expire (`capabilities.leases`). The lease renews
   * itself while held, so this bounds how long a dead holder blocks others, not how long you may hold.
   * Granted exactly or refused before any I/O: see `capabilities.ttl` ({@link LeaseTtlRule}). Ignored by
   * backends whose grants never expire. Defaults to the lock's `ttlMs`.
   */
  ttlMs?: number | undefined;
}

/** One grant of one lock. Release it with `release()` or `await using`. */
export interface Lease extends AsyncDisposable {
  /** The lock's name. */
  readonly name: string;
  /** Fencing token of this grant; see {@link FencingToken}. */
  readonly token: FencingToken;
  /**
   * Aborts with a `LockLostError` when the grant is lost or can no longer be confirmed (renewal failed
   * before the safe deadline, session expired, `maxHoldMs` reached). It does not abort on a normal
   * `release()`. Pass it to the work you do under the lock (fetch, database calls) so that work stops too.
   */
  readonly signal: AbortSignal;
  /**
   * True until the lease is released or lost. Each read compares the monotonic clock with the grant's safe
   * deadline, so after a stall (a long synchronous task, a paused process) it is `false`, and `signal` aborted,
   * from the first look, before any timer has run.
   */
  readonly held: boolean;
  /** Lease length the backend actually granted, in ms (`undefined` when grants never expire). */
  readonly ttlMs: number | undefined;
  /**
   * Releases the grant. Idempotent: resolves `true` if this call released a grant that was still held,
   * `false` if it was already released or lost. Never releases another holder's grant.
   */
  release(): Promise<boolean>;
  /**
   * Renews the grant now (renewal is otherwise automatic). Throws `LockLostError` if the grant is lost,
   * `LockNotHeldError` after release; never brings an expired grant back.
   */
  extend(ttlMs?: number): Promise<void>;
}

/**
 * A lease whose grant lives in an open file description (a kernel file lock): a child process that inherits
 * `inheritableFd` shares the grant, so the lock stays held while either is alive, as `flock(1)` does for the
 * command it runs. Tools such as `lock run` pass it to the command when a lease offers it.
 */
export interface InheritableLease extends Lease {
  /** The file descriptor that carries the grant; do not close it yourself (`release()` does). */
  readonly inheritableFd: number;
}

/** A named lock on one backend. */
export interface Lock {
  /** The lock's name. */
  readonly name: string;
  /** What the backend guarantees; see {@link Capabilities}. */
  readonly capabilities: Capabilities;
  /**
   * Waits for the lock and resolves with a lease. Rejects with `LockTimeoutError` after `timeoutMs`, with
   * `signal.reason` when aborted (leaving no queue entry, timer, key or node behind), with
   * `InvalidArgumentError` for bad options (before any I/O), and with `LockBackendError` when the backend
   * fails.
   */
  acquire(options?: AcquireOptions): Promise<Lease>;
  /** Takes the lock if it is free and never waits for a holder: resolves `null` when it is held. */
  tryAcquire(options?: Omit<AcquireOptions, 'timeoutMs'>): Promise<Lease | null>;
  /**
   * Runs `fn` while holding the lock and releases it afterwards, also when `fn` throws. If the grant is
   * lost while `fn` runs, `fn` should stop (watch `lease.signal`); `withLock` then rejects with the
   * `LockLostError` even if `fn` resolved, because the work was not exclusive.
   */
  withLock<T>(fn: (lease: Lease) => T | Promise<T>, options?: AcquireOptions): Promise<T>;
}

/**
 * How a grant shares its name: `exclusive` excludes every other grant (a lock, a writer); `shared` is shared
 * with the other shared grants and excludes exclusive ones (readers of a read-write lock).
 */
export type LockMode = 'exclusive' | 'shared';

/**
 * A read-write lock on one name (`LockProvider.readWriteLock`): `read` grants are shared with other readers,
 * `write` grants exclude everyone. Both are ordinary {@link Lock}s: acquire, tryAcquire, withLock, timeouts,
 * abort, leases, renewal, `lease.signal` and `await using` work unchanged.
 *
 * Fair across modes: grants follow arrival order where the backend queues, so a waiting writer holds back the
 * readers that come after it and a stream of readers never starves a writer. Fencing: every grant of either
 * mode carries a token, strictly increasing per name across both modes, so a resource that keeps the highest
 * token it has seen rejects a write from a writer older than the latest grant. A reader's token orders it
 * among the grants (a write carrying a lower token than a read already seen is stale); readers holding at
 * the same time have distinct tokens, and a resource must not reject a read for being older than another read.
 */
export interface ReadWriteLock {
  /** The name the two locks share. */
  readonly name: string;
  /** Shared grants (readers). */
  readonly read: Lock;
  /** Exclusive grants (writers). */
  readonly write: Lock;
}

/** Per-lock settings given to `LockProvider.lock()`. */
export interface LockOptions {
  /** Default lease length in ms for acquisitions of this lock (backends with leases). */
  ttlMs?: number | undefined;
  /** Renew every this many ms; defaults to a third of the TTL. Must be at most half the TTL. */
  renewEveryMs?: number | undefined;
  /**
   * Stop renewing after the lease has been held this long (ms), and abort `lease.signal` with a
   * `LockLostError` (reason `max-hold`): on backends whose grants expire, a wedged holder cannot keep the
   * lock past its TTL after that. On backends whose grants never expire (`capabilities.leases: false`:
   * in-process and shared-memory locks) the lock stays held until `release()`; there `maxHoldMs` only tells
   * the holder, through its signal, that it has held too long.
   */
  maxHoldMs?: number | undefined;
}

/** One holder or waiter of a lock, as its backend identifies it. */
export interface LockParticipant {
  /** The backend's id of this grant or queue entry (an owner id, an etcd key, a znode name). */
  readonly id: string;
  /** The fencing token it holds, or will hold once granted, when the backend knows it already. */
  readonly token: bigint | null;
  /** For read-write locks: whether it holds (or waits for) a `shared` or an `exclusive` grant. */
  readonly mode?: LockMode | undefined;
  /**
   * How long it has held (a holder) or waited (a waiter), in ms, as far as the backend can tell; `undefined`
   * where the backend records no time for it. Each backend's README says what it measures and on whose clock
   * (a server's clock against this process's, or the server's own): read it as an approximation for people,
   * never as a deadline.
   */
  readonly ageMs?: number | undefined;
}

/**
 * Who holds a lock and who waits for it, as the backend sees it right now (`LockProvider.status`). A backend
 * may narrow `Details` (its own terms) and `Participant` (its entries, e.g. with a known token).
 */
export interface LockStatus<
  Details extends Readonly<Record<string, unknown>> = Readonly<Record<string, unknown>>,
  Participant extends LockParticipant = LockParticipant,
> {
  /** The lock's name. */
  readonly name: string;
  /** The holders: none when the lock is free, one for an exclusive grant. */
  readonly holders: readonly Participant[];
  /** The waiters in the order they will be granted, as far as the backend lists them. */
  readonly waiters: readonly Participant[];
  /** How many wait; more than `waiters.length` when the backend counts waiters it cannot list. */
  readonly waiterCount: number;
  /** The latest fencing token issued for the name (also when it is free), when the backend keeps it. */
  readonly lastToken: bigint | null;
  /** For a semaphore: how many permits its holders share (`holders.length` of them are taken). */
  readonly permits?: number | undefined;
  /** What else the backend reports, in its own terms (keys, paths, sessions). */
  readonly details?: Details | undefined;
}

/** What a provider says about the server behind it (`LockProvider.describe`), for tools that show any backend. */
export interface ProviderDescription {
  /** The server in words: `"etcd 3.4.23"`, `"ZooKeeper 3.8.0 (3 servers: leader, follower, follower)"`. */
  readonly server: string;
  /** What a caller should know about it, one sentence each (a known server bug, a clamped setting); may be empty. */
  readonly warnings: readonly string[];
  /** The same facts in the backend's own terms. */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/** A backend: makes locks by name and owns the connections it created. */
export interface LockProvider {
  /** What every lock of this provider guarantees. */
  readonly capabilities: Capabilities;
  /** A lock handle for `name`. Cheap; no I/O. Throws `InvalidArgumentError` for a bad name or options. */
  lock(name: string, options?: LockOptions): Lock;
  /**
   * A read-write lock on `name` (see {@link ReadWriteLock}), where `capabilities.readWrite` is true. Cheap;
   * no I/O. Throws `UnsupportedCapabilityError` on a backend without them, `InvalidArgumentError` for a bad
   * name or options. A read-write lock and a `lock()` of the same name are separate locks on most backends:
   * use one kind of lock per name.
   */
  readWriteLock?(name: string, options?: LockOptions): ReadWriteLock;
  /**
   * A semaphore on `name` with `permits` permits, where `capabilities.semaphore` is true: a {@link Lock}
   * whose every lease is one of the permits, so at most `permits` leases are held at once. Every holder of
   * one name must use the same `permits`: an acquisition that meets holders or waiters with another number
   * rejects with `PermitsMismatchError` (the limit never changes in silence). Cheap; no I/O. Throws
   * `UnsupportedCapabilityError` on a backend without them, `InvalidArgumentError` for a bad name, `permits`
   * (a whole number from 1 to 1,000,000) or options. Tokens strictly increase per name over every grant.
   */
  semaphore?(name: string, permits: number, options?: LockOptions): Lock;
  /**
   * Who holds `name` and who waits, asked of the backend now (server backends; in-process locks cannot be
   * asked from another process and may leave it out). Rejects with `LockBackendError` when the backend fails.
   */
  status?(name: string): Promise<LockStatus>;
  /**
   * Raises the fence counter of `name` so that every later grant of it gets a token greater than `atLeast`
   * (never lowers it), on backends whose tokens come from a counter they keep (not a server revision). Moving
   * a name between clusters uses it to keep the name's tokens increasing. Rejects with `LockBackendError`
   * when the backend fails.
   */
  raiseFence?(name: string, atLeast: bigint): Promise<void>;
  /**
   * What the server behind this provider is (its version, what is known about it), asked of it now. Server
   * backends; rejects with `LockBackendError` when no server answers. Opens no lock session.
   */
  describe?(): Promise<ProviderDescription>;
  /**
   * Releases what the provider holds and closes connections it created (not ones the caller passed in).
   * Held leases abort their signal with `LockLostError` (reason `closed`). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Who can contend for a lock, narrowest first: the tasks of one `process`; the worker `threads` of one
 * process; every process of one `host` (a kernel file lock); many machines (`cluster`). A wider scope also
 * excludes the narrower ones.
 */
export type LockScope = 'process' | 'threads' | 'host' | 'cluster';

/** What survives a server loss, weakest first. */
export type Durability = 'memory' | 'single-node' | 'replicated-async' | 'consensus';

/** How a waiter learns the lock is free. No backend here polls. */
export type WaitingStrategy = 'queue' | 'push' | 'none';

/** Measured speed of a backend, from a calibration run or the benchmark. */
export interface CapabilityProfile {
  /** Median latency of one uncontended acquire + release, in ms. */
  acquireReleaseP50Ms: number;
  /** Sustained acquire + release pairs per second on one lock. */
  opsPerSec: number;
  /** Where the figures come from. */
  source: 'calibration' | 'benchmark' | 'declared';
}

/**
 * The lease lengths a backend grants. One rule for every backend: a `ttlMs` is granted exactly as asked, or
 * refused with an `InvalidArgumentError` before any I/O; it is never rounded, raised or ignored in silence.
 */
export interface LeaseTtlRule {
  /**
   * `lock`: every lock and acquisition may ask for its own `ttlMs`. `session`: every lease lives as long as
   * the provider's session (an etcd lease, a ZooKeeper session), whose TTL is `sessionTtlMs`; a `ttlMs`
   * other than that is refused (set the provider's TTL instead).
   */
  readonly setBy: 'lock' | 'session';
  /** Shortest lease granted, in ms. */
  readonly minMs: number;
  /** Longest lease granted, in ms (default: the longest timer, 2,147,483,647). */
  readonly maxMs?: number | undefined;
  /** Leases are granted in whole multiples of this many ms (etcd: whole seconds); 1 when any length works. */
  readonly stepMs: number;
  /** With `setBy: 'session'`: the session's TTL in ms, the only `ttlMs` accepted. */
  readonly sessionTtlMs?: number | undefined;
}

/** What a backend guarantees. The conformance suite tests each declared capability. */
export interface Capabilities {
  /** `mutex`, `shared-mutex`, `trylock`, `redis`, `redlock`, `etcd`, `zk`, ... */
  readonly backend: string;
  /** Who can contend: one process, the worker threads of one process, every process of one host, or many machines. */
  readonly scope: LockScope;
  /**
   * What survives a server failure: `memory` (the process), `single-node` (one server: its loss loses the
   * lock), `replicated-async` (a failover can lose the lock), `consensus` (a quorum must agree).
   */
  readonly durability: Durability;
  /** How a waiter learns the lock is free: `queue` (in-process), `push` (the server wakes it), `none` (never waits). */
  readonly waiting: WaitingStrategy;
  /** Waiters are granted in arrival order. */
  readonly fifo: boolean;
  /** `lease.token` is monotonic across holders of one name. */
  readonly fencing: boolean;
  /** A dead holder's grant expires by itself (TTL or session). */
  readonly leases: boolean;
  /** The backend has read-write locks (`provider.readWriteLock`). Absent means false. */
  readonly readWrite?: boolean | undefined;
  /** The backend has semaphores (`provider.semaphore`). Absent means false. */
  readonly semaphore?: boolean | undefined;
  /**
   * Which lease lengths the backend grants exactly (backends with `leases`). `@lock/core` checks every
   * `ttlMs` against it before any I/O, so a backend never grants a length other than the one asked for.
   */
  readonly ttl?: LeaseTtlRule | undefined;
  /** Measured speed, when known. */
  readonly profile?: CapabilityProfile | undefined;
}
