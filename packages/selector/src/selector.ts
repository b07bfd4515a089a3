import {
  type BackendKind,
  InvalidArgumentError,
  isPromise,
  type Lock,
  LockBackendError,
  LockError,
  type LockOptions,
  type LockProvider,
  type LockStatus,
  NoBackendSatisfiesError,
  ProviderClosedError,
  type ProviderDescription,
  type ReadWriteLock,
  UnsupportedCapabilityError,
  validateKnownKeys,
  validateLockName,
  validateLockOptions,
  validatePermits,
} from '@lock/core';
import {
  type CalibrateOptions,
  type CalibrationResult,
  calibrateEntries,
  measuredRefusal,
} from './calibrate.js';
import { readConfigFile } from './config/load-config-file.js';
import { checkConfig } from './config/validate-config.js';
import { DEFAULT_CONFIG } from './default-config.js';
import { DeferredLock } from './deferred-lock.js';
import type { BackendEntry } from './entries/backend-entry.js';
import { buildEntries } from './entries/build-entries.js';
import { installedCatalogKinds } from './kinds/installed-kinds.js';
import { MigratingLock, type RaiseFence } from './migrating-lock.js';
import { noBackendError } from './no-backend-error.js';
import { compilePolicies, type Policy, policyFor } from './policies.js';
import { rankCandidates } from './rank-candidates.js';
import { rendezvousIndex } from './rendezvous-index.js';
import { combineNeeds } from './resolve-needs.js';
import type { SelectorOptions } from './selector-options.js';
import type {
  CandidateBackend,
  Explanation,
  LockNeeds,
  ModuleLoader,
  ResolvedNeeds,
  SelectorConfig,
} from './types.js';

/** Where a name goes: its entry, cluster and the explanation of the choice. */
interface Route {
  readonly entry: BackendEntry;
  readonly index: number;
  readonly explanation: Explanation;
}

/** Names whose choice a selector remembers (for calls without extra needs). */
const ROUTE_CACHE_SIZE = 4096;

const OPTION_KEYS: readonly string[] = ['loadModule', 'calibrate', 'check', 'ttlMs', 'backend'];
const defaultLoader: ModuleLoader = (packageName) => import(packageName);

/**
 * Chooses a lock backend for each lock name from the needs a configuration declares for it, explains the
 * choice, and hands out locks from the chosen backend. Each configured kind is described by its own package
 * (loaded when the selector is created; none is a dependency of this package: install only those you
 * configure); providers are created on first use. Names of a backend with several clusters are spread over
 * them by rendezvous hashing.
 *
 * @example
 * ```ts
 * const selector = await Selector.create('lock.config.json');
 * console.log(selector.explain('orders:42').chosen);   // "coord"
 * await selector.lock('orders:42').withLock(async (lease) => ship(lease.token));
 * await selector.close();
 * ```
 */
export class Selector {
  /** The configuration, as validated. */
  readonly config: SelectorConfig;
  private readonly entries: readonly BackendEntry[];
  private readonly policies: readonly Policy[];
  private closing: Promise<void> | undefined;
  /** The route of each name asked for without extra needs (see route()). */
  private readonly routes = new Map<string, Route>();
  /** The lock handle of each name asked for by a plain `lock(name)` (see lock()). */
  private readonly handles = new Map<string, Lock>();
  /** Whether policies are checked at startup and after calibration (`SelectorOptions.check`). */
  private readonly checking: boolean;
  /** Kinds judged for hints besides the configured ones (every installed catalog kind, once a check failed). */
  private hintKinds: readonly BackendKind[] = [];

  private constructor(
    config: SelectorConfig,
    entries: BackendEntry[],
    checking: boolean,
    private readonly loadModule: ModuleLoader,
    /** `SelectorOptions.backend`: the entry every name is pinned to, if any. */
    private readonly pinned: string | undefined,
  ) {
    this.config = config;
    this.entries = entries;
    this.checking = checking;
    this.policies = compilePolicies(config);
  }

  /**
   * Builds a selector from a configuration object, a path to a JSON file, or nothing (the embedded default:
   * no server). Validates the configuration, every problem at once (`InvalidConfigError` with each JSON
   * path), loads the configured kinds' packages (`LockBackendError` naming the package to install), and checks
   * that every policy has a backend that meets its needs (`NoBackendSatisfiesError` naming the unmet needs):
   * a misconfiguration fails here, at startup, never later with a weaker lock.
   */
  static async create(config?: SelectorConfig | string, options: SelectorOptions = {}): Promise<Selector> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', options, 'an options object or undefined');
    }
    validateKnownKeys('options', options, OPTION_KEYS);
    const loadModule = options.loadModule ?? defaultLoader;
    if (typeof loadModule !== 'function') {
      throw new InvalidArgumentError(
        'options.loadModule',
        loadModule,
        'a function (packageName) => Promise<module>',
      );
    }
    const source = typeof config === 'string' ? config : undefined;
    const input =
      config === undefined ? DEFAULT_CONFIG : source !== undefined ? await readConfigFile(source) : config;
    const checked = await checkConfig(input, { loadModule, source, leaseTtlMs: options.ttlMs });
    const entries = await buildEntries(checked, loadModule);
    if (options.backend !== undefined && !entries.some((entry) => entry.name === options.backend)) {
      throw new InvalidArgumentError(
        'options.backend',
        options.backend,
        `a configured backend entry (${entries.map((entry) => JSON.stringify(entry.name)).join(', ')})`,
      );
    }
    const selector = new Selector(
      checked.config,
      entries,
      options.check !== false,
      loadModule,
      options.backend,
    );
    if (options.calibrate) await selector.calibrate(options.calibrate === true ? {} : options.calibrate);
    if (selector.checking) {
      try {
        selector.check();
      } catch (error) {
        if (!NoBackendSatisfiesError.isInstance(error)) throw error;
        await selector.judgeInstalledKinds();
        selector.check();
        throw error;
      }
    }
    return selector;
  }

  /** The candidates, with what each declares, in configuration order (embedded kinds first). */
  get candidates(): readonly CandidateBackend[] {
    return this.entries.map((entry) => ({
      name: entry.name,
      kind: entry.kindName,
      builtin: entry.builtin,
      capabilities: entry.capabilities,
      profile: entry.profile,
      clusters: entry.clusters.length,
      stableShards: entry.stableShards,
      unavailable: entry.unavailable,
    }));
  }

  /**
   * Checks every policy: each must have a backend that meets its needs. Throws `NoBackendSatisfiesError`
   * for the first that has none. `create()` calls it; call it again after changing profiles.
   */
  check(): void {
    for (const policy of this.policies) {
      const ranked = rankCandidates(policy.needs, this.candidates, this.pinned ?? policy.config.backend);
      if (!ranked[0]?.chosen) {
        throw noBackendError(`policy ${policy.pattern.source}`, policy.needs, ranked, this.kinds());
      }
    }
  }

  /**
   * The decision for `name`: the policy that governs it, its needs (combined with `extraNeeds`, the
   * stricter of each), every candidate ranked with the reason it was taken or refused, and for a sharded
   * backend the cluster the name maps to. Does no I/O.
   */
  explain(name: string, extraNeeds?: LockNeeds): Explanation {
    validateLockName(name);
    const policy = this.policyFor(name);
    const needs = combineNeeds(policy.needs, extraNeeds);
    const candidates = rankCandidates(needs, this.candidates, this.pinned ?? policy.config.backend);
    const chosen = candidates[0]?.chosen ? candidates[0].backend : undefined;
    let cluster: Explanation['cluster'];
    let movedFrom: Explanation['movedFrom'];
    if (chosen !== undefined) {
      const entry = this.entry(chosen);
      const index = rendezvousIndex(name, entry.clusterIds);
      cluster = { index, id: entry.clusterIds[index]! };
      const previous = entry.previousClusterIds;
      if (previous !== undefined) {
        const from = rendezvousIndex(name, previous);
        if (previous[from] !== cluster.id) movedFrom = { index: from, id: previous[from]! };
      }
    }
    return {
      name,
      policy: policy.pattern.source,
      needs,
      candidates,
      chosen,
      cluster,
      ...(movedFrom === undefined ? {} : { movedFrom }),
    };
  }

  /**
   * A lock for `name` from the backend chosen for it (see {@link explain}); `extraNeeds` are combined with
   * the policy's. Throws `NoBackendSatisfiesError` when no backend meets the needs. Creates the provider on
   * first use; if that is asynchronous, the returned lock waits for it.
   */
  lock(name: string, options?: LockOptions, extraNeeds?: LockNeeds): Lock {
    // A plain call for a hot name gets the handle made last time (handles hold no state of their own).
    const plain = options === undefined && extraNeeds === undefined;
    if (plain && this.closing === undefined) {
      const kept = this.handles.get(name);
      if (kept !== undefined) return kept;
    }
    const { entry, index, explanation } = this.route(name, extraNeeds);
    const primitive = primitiveOf(explanation.needs, extraNeeds);
    const build = (provider: LockProvider | Promise<LockProvider>): Lock => {
      if (!isPromise(provider)) return lockOf(provider, name, options, primitive);
      // Bad options fail now, before the lock waits for its provider (which checks them again when it exists).
      validateLockOptions(options, name);
      return new DeferredLock(
        name,
        entry.capabilities,
        provider.then((ready) => lockOf(ready, name, options, primitive)),
      );
    };
    const closed = this.closing !== undefined;
    const provider = entry.provider(index, closed);
    const lock = build(provider);
    const from = explanation.movedFrom;
    if (from === undefined) {
      // Not a lock still waiting for its provider: a failed creation must be tried again by the next call.
      if (plain && !isPromise(provider)) {
        if (this.handles.size >= ROUTE_CACHE_SIZE) this.handles.clear();
        this.handles.set(name, lock);
      }
      return lock;
    }
    const previous = entry.previousProvider(from.index, closed);
    return new MigratingLock(build(previous), lock, fenceMovers(previous, provider));
  }

  /**
   * A read-write lock for `name` (`{ name, read, write }`) from the backend chosen for it with the need
   * `mode: 'shared'` added: only a backend with read-write locks qualifies. Like {@link lock} otherwise.
   */
  readWriteLock(name: string, options?: LockOptions, extraNeeds?: LockNeeds): ReadWriteLock {
    const needs: LockNeeds = { ...extraNeeds, mode: 'shared' };
    const { entry, index, explanation } = this.route(name, needs);
    const build = (provider: LockProvider | Promise<LockProvider>): ReadWriteLock => {
      if (!isPromise(provider)) return readWriteLockOf(provider, name, options);
      validateLockOptions(options, name);
      const target = provider.then((ready) => readWriteLockOf(ready, name, options));
      // Both sides wait for the one read-write lock the provider makes once it exists.
      return Object.freeze({
        name,
        read: new DeferredLock(
          name,
          entry.capabilities,
          target.then((lock) => lock.read),
        ),
        write: new DeferredLock(
          name,
          entry.capabilities,
          target.then((lock) => lock.write),
        ),
      });
    };
    const closed = this.closing !== undefined;
    const provider = entry.provider(index, closed);
    const readWrite = build(provider);
    const from = explanation.movedFrom;
    if (from === undefined) return readWrite;
    const previous = entry.previousProvider(from.index, closed);
    return migratingReadWrite(build(previous), readWrite, fenceMovers(previous, provider));
  }

  /**
   * A semaphore for `name`: a lock whose leases are permits, from the backend chosen for it with the need
   * `permits` added (only a backend with semaphores qualifies). `permits` may be omitted when the name's
   * policy gives it; when both do, they must agree (`InvalidArgumentError`).
   */
  semaphore(name: string, permits?: number, options?: LockOptions, extraNeeds?: LockNeeds): Lock {
    if (permits !== undefined) validatePermits(permits, name);
    const policyPermits = this.policyFor(name).needs.permits;
    if (permits === undefined && policyPermits === undefined) {
      throw new InvalidArgumentError(
        'permits',
        permits,
        `a whole number of permits (the policy for ${JSON.stringify(name)} gives none)`,
        name,
      );
    }
    return this.lock(name, options, { ...extraNeeds, permits: permits ?? policyPermits });
  }

  /**
   * Like {@link lock}, but waits until the backend's provider exists. As with `lock()`, the call's own needs
   * choose the primitive: `mode: 'shared'` a read grant, `permits` a semaphore's permit.
   */
  async open(name: string, options?: LockOptions, extraNeeds?: LockNeeds): Promise<Lock> {
    return (await this.resolve(name, options, extraNeeds)).lock;
  }

  /** The choice for `name` and its lock, once the provider exists: one routing for both. */
  async resolve(
    name: string,
    options?: LockOptions,
    extraNeeds?: LockNeeds,
  ): Promise<{ readonly lock: Lock; readonly explanation: Explanation }> {
    const { entry, index, explanation } = await this.routeJudged(name, extraNeeds);
    const primitive = primitiveOf(explanation.needs, extraNeeds);
    const closed = this.closing !== undefined;
    const provider = await entry.provider(index, closed);
    const lock = lockOf(provider, name, options, primitive);
    const from = explanation.movedFrom;
    if (from === undefined) return { lock, explanation };
    const previous = await entry.previousProvider(from.index, closed);
    const migrating = new MigratingLock(
      lockOf(previous, name, options, primitive),
      lock,
      fenceMovers(previous, provider),
    );
    return { lock: migrating, explanation };
  }

  /**
   * Like {@link resolve}, for a read-write lock: the choice (with the need `mode: 'shared'` added) and the
   * read-write lock, once the provider exists. What `lock run --shared` and `--write` use.
   */
  async resolveReadWrite(
    name: string,
    options?: LockOptions,
    extraNeeds?: LockNeeds,
  ): Promise<{ readonly readWriteLock: ReadWriteLock; readonly explanation: Explanation }> {
    const { entry, index, explanation } = await this.routeJudged(name, { ...extraNeeds, mode: 'shared' });
    const closed = this.closing !== undefined;
    const provider = await entry.provider(index, closed);
    const readWriteLock = readWriteLockOf(provider, name, options);
    const from = explanation.movedFrom;
    if (from === undefined) return { readWriteLock, explanation };
    const previous = await entry.previousProvider(from.index, closed);
    const migrating = migratingReadWrite(
      readWriteLockOf(previous, name, options),
      readWriteLock,
      fenceMovers(previous, provider),
    );
    return { readWriteLock: migrating, explanation };
  }

  /**
   * The provider of the backend (and cluster) chosen for `name`, created if needed. Use it for what only that
   * backend offers, e.g. a shared mutex's `handle` to post to worker threads.
   */
  async providerFor(name: string, extraNeeds?: LockNeeds): Promise<LockProvider> {
    const { entry, index } = await this.routeJudged(name, extraNeeds);
    return entry.provider(index, this.closing !== undefined);
  }

  /**
   * What the backend chosen for `name` can tell about it right now (holder, token, waiters), from the
   * provider's `status(name)`, with the choice. `UnsupportedCapabilityError` when the backend cannot tell;
   * `LockBackendError` (with the cause) when it fails.
   */
  async status(
    name: string,
    extraNeeds?: LockNeeds,
  ): Promise<{ readonly status: LockStatus; readonly explanation: Explanation }> {
    const { entry, index, explanation } = await this.routeJudged(name, extraNeeds);
    try {
      const provider = await entry.provider(index, this.closing !== undefined);
      if (typeof provider.status !== 'function') {
        throw new UnsupportedCapabilityError(
          entry.kindName,
          'status',
          'its provider has no status(name) introspection',
          name,
        );
      }
      return { status: await provider.status(name), explanation };
    } catch (error) {
      if (LockError.isInstance(error)) throw error;
      throw new LockBackendError(entry.kindName, 'status', { lockName: name, cause: error });
    }
  }

  /**
   * What the server of the backend chosen for `name` is, asked of it now (`LockProvider.describe`: its version,
   * known problems with it), or `undefined` when the backend has no server to describe. `LockBackendError`
   * (with the cause) when it does not answer.
   */
  async describe(name: string, extraNeeds?: LockNeeds): Promise<ProviderDescription | undefined> {
    const { entry, index } = await this.routeJudged(name, extraNeeds);
    try {
      const provider = await entry.provider(index, this.closing !== undefined);
      return await provider.describe?.();
    } catch (error) {
      if (LockError.isInstance(error)) throw error;
      throw new LockBackendError(entry.kindName, 'describe', { lockName: name, cause: error });
    }
  }

  /**
   * Measures each backend against its real servers: uncontended acquire + release pairs on one lock name per
   * cluster, giving the median latency and pairs per second. By default the figures only check the current
   * choices (see {@link CalibrateOptions.apply}).
   */
  async calibrate(options: CalibrateOptions = {}): Promise<CalibrationResult[]> {
    const { results, measured } = await calibrateEntries(
      this.entries,
      async (entry, index) => entry.provider(index, this.closing !== undefined),
      options,
    );
    if (options.apply) {
      for (const [entry, profile] of measured) entry.profile = profile;
      // New profiles may change choices.
      this.routes.clear();
      this.handles.clear();
      if (this.checking) this.check();
      return results;
    }
    if (!this.checking) return results;
    const refusal = measuredRefusal(this.policies, this.candidates, measured);
    if (refusal !== undefined) {
      throw noBackendError(
        `policy ${refusal.policy.pattern.source}`,
        refusal.policy.needs,
        [refusal.report],
        this.kinds(),
      );
    }
    return results;
  }

  /** Closes every provider the selector created. Idempotent; later `lock()` calls throw `ProviderClosedError`. */
  close(): Promise<void> {
    if (this.closing === undefined) this.closing = this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const results = (await Promise.all(this.entries.map((entry) => entry.close()))).flat();
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  private kinds(): BackendKind[] {
    const configured = this.entries.flatMap((entry) => (entry.kind === undefined ? [] : [entry.kind]));
    const byName = new Map<string, BackendKind>();
    for (const kind of [...configured, ...this.hintKinds])
      if (!byName.has(kind.kind)) byName.set(kind.kind, kind);
    return [...byName.values()];
  }

  private policyFor(name: string): Policy {
    return policyFor(this.policies, name);
  }

  private entry(name: string): BackendEntry {
    return this.entries.find((candidate) => candidate.name === name)!;
  }

  /**
   * Like `route`, but when no backend meets the needs, first judges every kind installed here, so that the
   * error's hint can name one that would (the synchronous `lock()` judges only the kinds already loaded).
   */
  private async routeJudged(name: string, extraNeeds: LockNeeds | undefined): Promise<Route> {
    try {
      return this.route(name, extraNeeds);
    } catch (error) {
      if (!NoBackendSatisfiesError.isInstance(error)) throw error;
      await this.judgeInstalledKinds();
      return this.route(name, extraNeeds);
    }
  }

  /** Loads the descriptor of every catalog kind installed here, for hints. */
  private async judgeInstalledKinds(): Promise<void> {
    if (this.hintKinds.length === 0) this.hintKinds = await installedCatalogKinds(this.loadModule);
  }

  private route(name: string, extraNeeds: LockNeeds | undefined): Route {
    if (this.closing !== undefined) throw new ProviderClosedError('selector', 'create a lock', name);
    // A name's choice depends only on the configuration and the profiles, so a hot name is judged once.
    if (extraNeeds === undefined) {
      const cached = this.routes.get(name);
      if (cached !== undefined) return cached;
    }
    const explanation = this.explain(name, extraNeeds);
    if (explanation.chosen === undefined) {
      throw noBackendError(name, explanation.needs, explanation.candidates, this.kinds());
    }
    const route: Route = Object.freeze({
      entry: this.entry(explanation.chosen),
      index: explanation.cluster?.index ?? 0,
      explanation: Object.freeze(explanation),
    });
    if (extraNeeds === undefined) {
      // Bounded: per-entity names would otherwise grow it without end; a full cache starts over.
      if (this.routes.size >= ROUTE_CACHE_SIZE) this.routes.clear();
      this.routes.set(name, route);
    }
    return route;
  }
}

/** What a call asks for: an exclusive lock, the read side of a read-write lock, or a semaphore's permit. */
type Primitive =
  | { readonly kind: 'exclusive' }
  | { readonly kind: 'read' }
  | { readonly kind: 'permit'; readonly permits: number };

/**
 * The primitive a call asks for. Only the call's own needs choose it: a policy's `mode` or `permits` says what
 * the backend must be able to do, but never turns a caller's `lock()` into a shared one.
 */
function primitiveOf(needs: ResolvedNeeds, call: LockNeeds | undefined): Primitive {
  if (call?.permits !== undefined) return { kind: 'permit', permits: needs.permits! };
  if (call?.mode === 'shared') return { kind: 'read' };
  return { kind: 'exclusive' };
}

/** Both sides of a moved name's read-write lock, each taken on the old cluster and then on the new one. */
function migratingReadWrite(
  from: ReadWriteLock,
  to: ReadWriteLock,
  raise: ConstructorParameters<typeof MigratingLock>[2],
): ReadWriteLock {
  return Object.freeze({
    name: to.name,
    read: new MigratingLock(from.read, to.read, raise),
    write: new MigratingLock(from.write, to.write, raise),
  });
}

/**
 * The fence raisers of a moved name's two clusters, where the kind's providers can raise a counter
 * (`raiseFence`; Redis can, tokens that are server revisions cannot). A side without one raises nothing.
 */
function fenceMovers(
  from: LockProvider | Promise<LockProvider>,
  to: LockProvider | Promise<LockProvider>,
): { from?: RaiseFence; to?: RaiseFence } {
  const mover =
    (provider: LockProvider | Promise<LockProvider>): RaiseFence =>
    async (name, atLeast) => {
      const ready = await provider;
      await ready.raiseFence?.(name, atLeast);
    };
  return { from: mover(from), to: mover(to) };
}

function lockOf(
  provider: LockProvider,
  name: string,
  options: LockOptions | undefined,
  primitive: Primitive,
): Lock {
  if (primitive.kind === 'exclusive') return provider.lock(name, options);
  if (primitive.kind === 'read') return readWriteLockOf(provider, name, options).read;
  if (typeof provider.semaphore !== 'function') {
    throw new UnsupportedCapabilityError(
      provider.capabilities.backend,
      'semaphores',
      'its provider has no semaphore()',
      name,
    );
  }
  return provider.semaphore(name, primitive.permits, options);
}

function readWriteLockOf(
  provider: LockProvider,
  name: string,
  options: LockOptions | undefined,
): ReadWriteLock {
  if (typeof provider.readWriteLock !== 'function') {
    throw new UnsupportedCapabilityError(
      provider.capabilities.backend,
      'read-write locks',
      'its provider has no readWriteLock()',
      name,
    );
  }
  return provider.readWriteLock(name, options);
}
