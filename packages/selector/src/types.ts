import type { Capabilities, CapabilityProfile, Durability, LockMode, LockScope } from '@lock/core';

/** The name of a kind of backend, as a configuration's `kind` field gives it (`redis`, `etcd`, ...). */
export type BackendKindName = string;

/**
 * What a caller declares it needs from the locks of one name or name pattern. Every field is optional; an
 * omitted field asks nothing, so `{}` accepts the lightest backend there is.
 */
export interface LockNeeds {
  /** Who must be excluded: tasks of one process, its worker threads, or many machines. Default `process`. */
  scope?: LockScope | undefined;
  /**
   * The weakest durability acceptable, i.e. whether a server failure may lose the lock: `memory` (only the
   * process matters), `single-node` (one server's loss loses it), `replicated-async` (a failover can lose
   * it), `consensus` (a quorum agrees on every grant). Default `memory`.
   */
  durability?: Durability | undefined;
  /** `true`: grants must carry a fencing token that is monotonic across holders. Default `false`. */
  fencing?: boolean | undefined;
  /**
   * `true` (default): callers wait in line for the lock. `false`: preempt, i.e. try once and give up when it
   * is held (the chapter's order grab), which any backend can do and a trylock does best.
   */
  blocking?: boolean | undefined;
  /** Highest acceptable median latency of one uncontended acquire + release, in ms. */
  maxLatencyMs?: number | undefined;
  /**
   * Lowest acceptable throughput, in acquire + release pairs per second over all the names of the policy.
   * A backend sharded over N clusters offers N times the throughput of one.
   */
  minOpsPerSec?: number | undefined;
  /**
   * `shared`: the names are read-write locks, so the backend must have them (`capabilities.readWrite`).
   * Given to a call (`selector.lock(name, options, { mode: 'shared' })`, `lock run --shared`), it also
   * asks for a shared (read) grant; `selector.readWriteLock()` adds it by itself. Default `exclusive`.
   */
  mode?: LockMode | undefined;
  /**
   * The names are semaphores of this many permits, so the backend must have them (`capabilities.semaphore`).
   * Given to a call (`lock run --permits N`), it also asks for one of the permits; `selector.semaphore()`
   * adds it by itself. A whole number from 1 to 1,000,000; every holder of a name must agree on it.
   */
  permits?: number | undefined;
}

/** {@link LockNeeds} with every default filled in. */
export interface ResolvedNeeds {
  /** Who must be excluded; default `process`. */
  readonly scope: LockScope;
  /** The weakest acceptable durability; default `memory`. */
  readonly durability: Durability;
  /** Whether grants must carry a monotonic fencing token; default `false`. */
  readonly fencing: boolean;
  /** `true`: wait in line; `false`: preempt (try once). Default `true`. */
  readonly blocking: boolean;
  /** Highest median uncontended acquire + release, in ms, or `undefined` for no bound. */
  readonly maxLatencyMs: number | undefined;
  /** Lowest acquire + release pairs per second over all names of the policy, or `undefined` for no bound. */
  readonly minOpsPerSec: number | undefined;
  /** `shared`: read-write locks are needed. Default `exclusive`. */
  readonly mode: LockMode;
  /** The permits of a semaphore, when the names are semaphores. */
  readonly permits: number | undefined;
}

/** A policy: the needs of every lock name matching a pattern, optionally pinned to one backend. */
export interface PolicyConfig extends LockNeeds {
  /** Use this configured backend (by its entry name) and no other; it must still meet the needs. */
  backend?: string | undefined;
}

/**
 * The settings of one cluster of a backend: whatever the kind's own settings schema accepts. The selector does
 * not know them; the kind's package validates them.
 */
export interface ClusterConfig {
  /** Stable id of the cluster for rendezvous hashing; defaults to its address (the kind says what that is). */
  id?: string | undefined;
  /** The kind's own settings. */
  [setting: string]: unknown;
}

/** One backend entry of the configuration: the kind, the selector's own fields, and the kind's settings. */
export interface BackendConfig {
  /** Which kind of backend. */
  kind: BackendKindName;
  /**
   * The module that describes the kind (exports `kinds`), for a kind this selector does not know by name: a
   * package name, or a path relative to the configuration file. Default: the catalog's package for the kind.
   */
  package?: string | undefined;
  /** Stable id of the cluster for rendezvous hashing (without `clusters`). */
  id?: string | undefined;
  /** Speed figures to select by instead of the kind's defaults (from a benchmark or your own measurement). */
  profile?: DeclaredProfile | undefined;
  /**
   * Several independent clusters of this kind: lock names are spread over them by rendezvous hashing, so a
   * name always maps to one cluster and adding a cluster moves about 1/N of the names. Each cluster's
   * settings override the entry's own (which all clusters share).
   */
  clusters?: ClusterConfig[] | undefined;
  /**
   * Only with `clusters`: lets this entry serve policies that need `fencing`. Fencing tokens are counted per
   * cluster, so tokens of different clusters are not comparable, and a name that a cluster-list change
   * moves gets the new cluster's (lower) tokens. Set it once every cluster-list change is rolled out by
   * draining the moved names or by moving each guarded resource's fence along. Default `false`: a
   * fencing policy refuses a sharded entry, with that reason.
   */
  stableShards?: boolean | undefined;
  /**
   * Only with `clusters`: the cluster list before a change, for the migration phase of a rolling change
   * (old list -> `clusters` with this -> new list alone). A name the change moves is taken on its old cluster
   * and then on its new one, in that order, so clients on the old list, on this one and on the new list never
   * hold a moved name twice, as long as no client still on the old list runs beside one on the new list.
   * Names the change does not move are locked on their one cluster as usual. A cluster in both lists (same
   * id) is one cluster and must have the same settings in both.
   */
  previousClusters?: ClusterConfig[] | undefined;
  /** The kind's own settings (shared by every cluster when `clusters` is given). */
  [setting: string]: unknown;
}

/** Profile figures a configuration may declare. */
export interface DeclaredProfile {
  /** Median latency of one uncontended acquire + release, in ms. */
  acquireReleaseP50Ms: number;
  /** Acquire + release pairs per second on one lock, for one cluster. */
  opsPerSec: number;
  /** Where the figures come from. Default `declared`. */
  source?: 'benchmark' | 'declared' | undefined;
}

/**
 * The selector's configuration, as read from `lock.config.json`.
 *
 * @example
 * ```json
 * {
 *   "backends": {
 *     "cache": { "kind": "redis", ... the redis kind's settings },
 *     "coord": { "kind": "etcd", ... the etcd kind's settings }
 *   },
 *   "policies": {
 *     "orders:*": { "scope": "cluster", "durability": "consensus", "fencing": true },
 *     "*": { "scope": "cluster" }
 *   }
 * }
 * ```
 */
export interface SelectorConfig {
  /** Configured backends by entry name. */
  backends?: Record<string, BackendConfig> | undefined;
  /**
   * Needs by lock-name pattern (`*` matches any run of characters, `?` one character). An exact name wins
   * over patterns; among patterns the one with the most literal characters wins, then the first declared.
   */
  policies?: Record<string, PolicyConfig> | undefined;
  /**
   * The embedded kinds that need no server and no configuration (see `EMBEDDED_KINDS`: in-process,
   * shared-memory) are candidates unless listed here as `false`, or none of them when this is `false`.
   */
  builtins?: boolean | Partial<Record<string, boolean>> | undefined;
}

/** One candidate as the selector sees it: a backend entry with its capabilities and profile. */
export interface CandidateBackend {
  /** Entry name in the configuration (the kind's name for a built-in). */
  readonly name: string;
  /** The entry's kind. */
  readonly kind: BackendKindName;
  /** True for a built-in in-process backend that the configuration does not list. */
  readonly builtin: boolean;
  /** What the backend guarantees, as declared for its kind and settings (replaced by the provider's own once it exists). */
  readonly capabilities: Capabilities;
  /** Speed figures per cluster, or `undefined` when unknown. */
  readonly profile: CapabilityProfile | undefined;
  /** Number of independent clusters the names are spread over (1 unless sharded). */
  readonly clusters: number;
  /** The entry's `stableShards` opt-in: its per-cluster fencing tokens may serve fencing needs. Default `false`. */
  readonly stableShards?: boolean | undefined;
  /** Why the backend cannot be used at all (its package is missing, say), or `undefined`. */
  readonly unavailable: string | undefined;
}

/** The selector's verdict on one candidate for one set of needs. */
export interface CandidateReport {
  /** The backend entry's name. */
  readonly backend: string;
  /** The entry's kind. */
  readonly kind: BackendKindName;
  /** Whether it meets every need. */
  readonly qualifies: boolean;
  /** Whether it is the one chosen (the first qualifying candidate in rank order). */
  readonly chosen: boolean;
  /** Why it was taken or refused, one line per need, e.g. `durability single-node < consensus required`. */
  readonly reasons: readonly string[];
  /** The needs it failed, e.g. `durability >= consensus`. */
  readonly unmet: readonly string[];
  /** The capabilities it was judged by (declared for its kind, or its provider's own). */
  readonly capabilities: Capabilities;
  /** The speed figures it was judged by, per cluster, or `undefined` when unknown. */
  readonly profile: CapabilityProfile | undefined;
  /** Number of clusters its names are spread over (1 unless sharded). */
  readonly clusters: number;
}

/** What `selector.explain(name)` returns. */
export interface Explanation {
  /** The lock name asked about. */
  readonly name: string;
  /** The policy pattern that matched it. */
  readonly policy: string;
  /** The needs, defaults filled in. */
  readonly needs: ResolvedNeeds;
  /** Every candidate, ranked: qualifying ones first, best first. */
  readonly candidates: readonly CandidateReport[];
  /** The chosen backend entry, or `undefined` when none qualifies. */
  readonly chosen: string | undefined;
  /** For a sharded backend, the cluster (index and id) this name maps to. */
  readonly cluster: { readonly index: number; readonly id: string } | undefined;
  /**
   * In the migration phase of a cluster-list change (`previousClusters`), the cluster of the previous list
   * that this name moves from, when the change moves it (the lock then takes the name on that cluster first,
   * then on `cluster`); undefined when the name stays where it was or no change is in progress.
   */
  readonly movedFrom?: { readonly index: number; readonly id: string } | undefined;
}

/** Loads a backend package by name; defaults to a dynamic `import()`. */
export type ModuleLoader = (packageName: string) => Promise<unknown>;
