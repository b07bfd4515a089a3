import { isMainThread } from 'node:worker_threads';
import {
  type CandidateVerdict,
  type Capabilities,
  type CapabilityProfile,
  InvalidArgumentError,
  type Lock,
  LockBackendError,
  type LockOptions,
  type LockProvider,
  NoBackendSatisfiesError,
  ProviderClosedError,
  UnsupportedCapabilityError,
  validateLockName,
  validateLockOptions,
} from '@lock/core';
import { BACKEND_KIND_NAMES, BACKEND_KINDS, type BackendKindInfo } from './backend-kinds.js';
import { checkNeeds } from './check-needs.js';
import { DEFAULT_CONFIG } from './default-config.js';
import { DeferredLock } from './deferred-lock.js';
import { loadConfigFile } from './load-config.js';
import { measureLock } from './measure-lock.js';
import { NamePattern } from './name-pattern.js';
import { rankCandidates } from './rank-candidates.js';
import { rendezvousIndex } from './rendezvous-index.js';
import { combineNeeds, describeNeeds, resolveNeeds } from './resolve-needs.js';
import type {
  BackendConfig,
  BackendKind,
  CandidateBackend,
  CandidateReport,
  ClusterSettings,
  Explanation,
  LockNeeds,
  ModuleLoader,
  PolicyConfig,
  ResolvedNeeds,
  SelectorConfig,
} from './types.js';
import { validateConfig } from './validate-config.js';

/** Options of {@link Selector.create}. */
export interface SelectorOptions {
  /**
   * Loads a backend package by name. The default is a dynamic `import()` from this package's location;
   * pass `(name) => import(name)` from your own code when your package manager does not let this package
   * see yours (pnpm without hoisting).
   */
  loadModule?: ModuleLoader | undefined;
  /** Calibrate the backends before checking the policies; see {@link Selector.calibrate}. */
  calibrate?: boolean | CalibrateOptions | undefined;
  /**
   * `false` skips the check of every policy at startup and after calibration (for tools that explain one
   * name even when another policy is unsatisfiable); `lock()` still refuses a name whose needs no backend
   * meets. Default `true`.
   */
  check?: boolean | undefined;
}

/** Options of {@link Selector.calibrate}. */
export interface CalibrateOptions {
  /** Timed acquire + release pairs per cluster. Default 200. */
  rounds?: number | undefined;
  /** Only these backend entries (default: every configured one and the built-ins). */
  backends?: readonly string[] | undefined;
  /**
   * The lock name timed on every cluster. Default `lock-calibration`: one fixed name, so that repeated runs
   * reuse the backend's entries for it (Redis keeps a name's fence counter, e.g. `lock:{lock-calibration}:fence`,
   * for good) instead of leaving one more per run. Calibrations that overlap on a cluster wait for each
   * other on it and measure that wait: calibrate from one process at a time.
   */
  lockName?: string | undefined;
  /**
   * `false` (default): only check that each policy's chosen backend meets its latency and throughput
   * needs with the measured figures, and throw `NoBackendSatisfiesError` if not. `true`: select by the
   * measured figures from now on. Every process that locks the same name must make the same choice, and
   * measured figures differ between processes, so apply them only where every process does the same.
   */
  apply?: boolean | undefined;
}

/** One backend cluster's calibration result. */
export interface CalibrationResult {
  /** The backend entry. */
  readonly backend: string;
  /** Index of the cluster within the entry (0 unless sharded). */
  readonly cluster: number;
  /** Median of one uncontended acquire + release, in ms. */
  readonly acquireReleaseP50Ms: number;
  /** Acquire + release pairs per second over the timed rounds. */
  readonly opsPerSec: number;
  /** Timed rounds (warm-up rounds excluded). */
  readonly rounds: number;
}

/** What a backend can say about one lock right now (holder, token, waiters), as its provider reports it. */
export type LockStatus = Record<string, unknown>;

interface StatusProvider extends LockProvider {
  status(name: string): Promise<LockStatus> | LockStatus;
}

type ProviderFactory = (config: Record<string, unknown>) => LockProvider | Promise<LockProvider>;

interface Entry {
  readonly name: string;
  readonly info: BackendKindInfo;
  readonly config: BackendConfig;
  readonly clusters: readonly ClusterSettings[];
  readonly clusterIds: readonly string[];
  readonly builtin: boolean;
  readonly stableShards: boolean;
  factory: ProviderFactory | undefined;
  unavailable: string | undefined;
  capabilities: Capabilities;
  profile: CapabilityProfile | undefined;
  readonly providers: Map<number, LockProvider | Promise<LockProvider>>;
}

interface Policy {
  readonly pattern: NamePattern;
  readonly config: PolicyConfig;
  readonly needs: ResolvedNeeds;
}

/** In-process kinds whose providers share one table per process between threads (see `Selector.create`). */
const PROCESS_TABLE_KINDS: ReadonlySet<BackendKind> = new Set<BackendKind>(['shared-mutex', 'trylock']);

/** The lock name `calibrate()` times unless told otherwise: fixed, so that runs leave no new keys behind. */
const CALIBRATION_LOCK_NAME = 'lock-calibration';
const defaultLoader: ModuleLoader = (packageName) => import(packageName);

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

function isMissingModule(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Chooses a lock backend for each lock name from the needs a configuration declares for it, explains the
 * choice, and hands out locks from the chosen backend. Backend packages are loaded by name when the selector
 * is created (none is a dependency of this package: install only those you configure); providers are
 * created on first use. Names of a backend with several clusters are spread over them by rendezvous hashing.
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
  /** The validated configuration. */
  readonly config: SelectorConfig;
  private readonly entries: Entry[];
  private readonly policies: Policy[];
  private closing: Promise<void> | undefined;
  /** Whether policies are checked at startup and after calibration (`SelectorOptions.check`). */
  private checking = true;

  private constructor(config: SelectorConfig, entries: Entry[]) {
    this.config = config;
    this.entries = entries;
    this.policies = Object.entries(config.policies ?? {}).map(([pattern, policy]) => ({
      pattern: new NamePattern(pattern),
      config: policy,
      needs: resolveNeeds(policy),
    }));
  }

  /**
   * Builds a selector from a configuration object, a path to a JSON file, or nothing (the embedded default:
   * in-process locks, no server). Validates the configuration (`InvalidArgumentError` naming the JSON path
   * of the bad field), loads the configured backends' packages (`LockBackendError` naming the package to
   * install), and checks that every policy has a backend that meets its needs (`NoBackendSatisfiesError`
   * naming the unmet needs): a misconfiguration fails here, at startup, never later with a weaker lock.
   */
  static async create(config?: SelectorConfig | string, options: SelectorOptions = {}): Promise<Selector> {
    const validated =
      config === undefined
        ? validateConfig(DEFAULT_CONFIG)
        : typeof config === 'string'
          ? await loadConfigFile(config)
          : validateConfig(config);
    const loadModule = options.loadModule ?? defaultLoader;
    if (typeof loadModule !== 'function') {
      throw new InvalidArgumentError(
        'options.loadModule',
        loadModule,
        'a function (packageName) => Promise<module>',
      );
    }
    const entries = buildEntries(validated);
    await Promise.all(entries.map((entry) => loadEntry(entry, loadModule)));
    const selector = new Selector(validated, entries);
    // These kinds keep one shared-memory table per process, which a worker finds only if the main thread
    // made it before the worker started: make it now, so "create the selector, then start workers" works.
    if (isMainThread) {
      for (const entry of entries) {
        if (!PROCESS_TABLE_KINDS.has(entry.info.kind) || entry.factory === undefined) continue;
        for (let index = 0; index < entry.clusters.length; index++) selector.provider(entry, index);
      }
    }
    selector.checking = options.check !== false;
    if (options.calibrate) {
      await selector.calibrate(options.calibrate === true ? {} : options.calibrate);
    }
    if (options.check !== false) selector.check();
    return selector;
  }

  /** The candidates, with what each declares, in configuration order (built-ins first). */
  get candidates(): readonly CandidateBackend[] {
    return this.entries.map((entry) => ({
      name: entry.name,
      kind: entry.info.kind,
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
      const ranked = rankCandidates(policy.needs, this.candidates, policy.config.backend);
      if (!ranked[0]?.chosen) throw this.noBackend(`policy ${policy.pattern.source}`, policy.needs, ranked);
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
    const candidates = rankCandidates(needs, this.candidates, policy.config.backend);
    const chosen = candidates[0]?.chosen ? candidates[0].backend : undefined;
    let cluster: Explanation['cluster'];
    if (chosen !== undefined) {
      const entry = this.entry(chosen);
      const index = rendezvousIndex(name, entry.clusterIds);
      cluster = { index, id: entry.clusterIds[index]! };
    }
    return { name, policy: policy.pattern.source, needs, candidates, chosen, cluster };
  }

  /**
   * A lock for `name` from the backend chosen for it (see {@link explain}); `extraNeeds` are combined with
   * the policy's. Throws `NoBackendSatisfiesError` when no backend meets the needs, and also when the
   * backend's provider turns out to declare less than its kind (never a silent fallback). Creates the
   * provider on first use; if that is asynchronous, the returned lock waits for it.
   */
  lock(name: string, options?: LockOptions, extraNeeds?: LockNeeds): Lock {
    const { entry, index, needs, explanation } = this.route(name, extraNeeds);
    // Bad options fail here, before a provider is created (and before a deferred lock waits for one).
    validateLockOptions(options, name);
    const provider = this.provider(entry, index);
    if (isPromise(provider)) {
      return new DeferredLock(
        name,
        entry.capabilities,
        provider.then((ready) => this.verified(entry, ready, needs, explanation).lock(name, options)),
      );
    }
    return this.verified(entry, provider, needs, explanation).lock(name, options);
  }

  /** Like {@link lock}, but waits until the backend's provider exists and is verified against the needs. */
  async open(name: string, options?: LockOptions, extraNeeds?: LockNeeds): Promise<Lock> {
    const { entry, index, needs, explanation } = this.route(name, extraNeeds);
    validateLockOptions(options, name);
    const provider = await this.provider(entry, index);
    return this.verified(entry, provider, needs, explanation).lock(name, options);
  }

  /**
   * The provider of the backend (and cluster) chosen for `name`, created if needed and verified. Use it for
   * what only that backend offers, e.g. a shared mutex's `handle` to post to worker threads, which reopen
   * it with `SharedMutexProvider.open(handle)` so that every thread locks the same table.
   */
  async providerFor(name: string, extraNeeds?: LockNeeds): Promise<LockProvider> {
    const { entry, index, needs, explanation } = this.route(name, extraNeeds);
    return this.verified(entry, await this.provider(entry, index), needs, explanation);
  }

  /**
   * What the backend chosen for `name` can tell about it right now (holder, token, waiters), from the
   * provider's `status(name)`. `UnsupportedCapabilityError` when the backend cannot tell.
   */
  async status(name: string, extraNeeds?: LockNeeds): Promise<LockStatus> {
    const { entry, index } = this.route(name, extraNeeds);
    const provider = (await this.provider(entry, index)) as Partial<StatusProvider>;
    if (typeof provider.status !== 'function') {
      throw new UnsupportedCapabilityError(
        entry.info.kind,
        'status',
        'its provider has no status(name) introspection',
        name,
      );
    }
    return provider.status(name);
  }

  /**
   * Measures each backend against its real servers: `rounds` uncontended acquire + release pairs on one
   * lock name (`lock-calibration` unless {@link CalibrateOptions.lockName} says otherwise) per cluster,
   * giving the median latency and pairs per second. By default the figures
   * only check the current choices (see {@link CalibrateOptions.apply}).
   */
  async calibrate(options: CalibrateOptions = {}): Promise<CalibrationResult[]> {
    const rounds = options.rounds ?? 200;
    if (!Number.isSafeInteger(rounds) || rounds < 1) {
      throw new InvalidArgumentError('options.rounds', rounds, 'a positive integer');
    }
    const lockName = options.lockName ?? CALIBRATION_LOCK_NAME;
    try {
      validateLockName(lockName);
    } catch (error) {
      const expected = InvalidArgumentError.isInstance(error) ? error.expected : 'a valid lock name';
      throw new InvalidArgumentError('options.lockName', lockName, expected);
    }
    const names =
      options.backends ?? this.entries.filter((entry) => !entry.unavailable).map((entry) => entry.name);
    for (const name of names) this.entry(name, 'options.backends');
    const results: CalibrationResult[] = [];
    const measured = new Map<Entry, CapabilityProfile>();
    for (const name of names) {
      const entry = this.entry(name);
      let worst: CapabilityProfile | undefined;
      for (let index = 0; index < entry.clusters.length; index += 1) {
        const provider = await this.provider(entry, index);
        const figures = await measureLock(provider.lock(lockName), rounds);
        results.push({ backend: name, cluster: index, ...figures });
        // A sharded backend is as slow as its slowest cluster.
        worst = {
          acquireReleaseP50Ms: Math.max(worst?.acquireReleaseP50Ms ?? 0, figures.acquireReleaseP50Ms),
          opsPerSec: Math.min(worst?.opsPerSec ?? Number.POSITIVE_INFINITY, figures.opsPerSec),
          source: 'calibration',
        };
      }
      if (worst !== undefined) measured.set(entry, worst);
    }
    if (options.apply) {
      for (const [entry, profile] of measured) entry.profile = profile;
      if (this.checking) this.check();
    } else if (this.checking) {
      this.checkMeasured(measured);
    }
    return results;
  }

  /** Closes every provider the selector created. Idempotent; later `lock()` calls throw `ProviderClosedError`. */
  close(): Promise<void> {
    if (this.closing === undefined) this.closing = this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const providers = this.entries.flatMap((entry) => [...entry.providers.values()]);
    for (const entry of this.entries) entry.providers.clear();
    const results = await Promise.allSettled(providers.map(async (provider) => (await provider).close()));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  private policyFor(name: string): Policy {
    const best = NamePattern.best(
      this.policies.map((policy) => policy.pattern),
      name,
    );
    const policy = this.policies.find((candidate) => candidate.pattern === best);
    if (policy === undefined) {
      throw new InvalidArgumentError(
        'name',
        name,
        `a name matched by a policy (configured patterns: ${this.policies.map((item) => JSON.stringify(item.pattern.source)).join(', ') || 'none'}; add a "*" policy for a default)`,
      );
    }
    return policy;
  }

  private entry(name: string, parameter = 'backend'): Entry {
    const entry = this.entries.find((candidate) => candidate.name === name);
    if (entry === undefined) {
      throw new InvalidArgumentError(
        parameter,
        name,
        `a configured backend (${this.entries.map((item) => JSON.stringify(item.name)).join(', ')})`,
      );
    }
    return entry;
  }

  private route(name: string, extraNeeds: LockNeeds | undefined) {
    if (this.closing !== undefined) throw new ProviderClosedError('selector', 'create a lock', name);
    const explanation = this.explain(name, extraNeeds);
    if (explanation.chosen === undefined)
      throw this.noBackend(name, explanation.needs, explanation.candidates);
    const entry = this.entry(explanation.chosen);
    return { entry, index: explanation.cluster?.index ?? 0, needs: explanation.needs, explanation };
  }

  private provider(entry: Entry, index: number): LockProvider | Promise<LockProvider> {
    if (this.closing !== undefined) throw new ProviderClosedError('selector', 'create a provider');
    const existing = entry.providers.get(index);
    if (existing !== undefined) return existing;
    const factory = entry.factory;
    if (factory === undefined) {
      throw new LockBackendError(entry.info.kind, 'load', { detail: entry.unavailable ?? 'not loaded' });
    }
    const settings = entry.clusters[index]!;
    const created = factory(entry.info.providerConfig(settings));
    if (isPromise(created)) {
      const pending = created.then(
        (provider) => {
          entry.providers.set(index, provider);
          return provider;
        },
        (error: unknown) => {
          // A failed connection attempt is not cached: the next lock() tries again.
          if (entry.providers.get(index) === pending) entry.providers.delete(index);
          throw error;
        },
      );
      entry.providers.set(index, pending);
      return pending;
    }
    entry.providers.set(index, created);
    return created;
  }

  /** The provider's own capabilities must still meet the needs: the kind's declaration was only a promise. */
  private verified(entry: Entry, provider: LockProvider, needs: ResolvedNeeds, explanation: Explanation) {
    const verdict = checkNeeds(
      needs,
      provider.capabilities,
      entry.profile,
      entry.clusters.length,
      entry.stableShards,
    );
    if (verdict.unmet.length > 0) {
      throw new NoBackendSatisfiesError(explanation.name, verdict.unmet, [
        {
          backend: entry.name,
          accepted: false,
          reasons: [
            `its provider declares less than a ${entry.info.kind} backend is expected to`,
            ...verdict.refusals,
          ],
        },
      ]);
    }
    return provider;
  }

  private checkMeasured(measured: Map<Entry, CapabilityProfile>): void {
    for (const policy of this.policies) {
      const ranked = rankCandidates(policy.needs, this.candidates, policy.config.backend);
      const chosen = ranked[0]?.chosen ? this.entry(ranked[0].backend) : undefined;
      const profile = chosen === undefined ? undefined : measured.get(chosen);
      if (chosen === undefined || profile === undefined) continue;
      const verdict = checkNeeds(
        policy.needs,
        chosen.capabilities,
        profile,
        chosen.clusters.length,
        chosen.stableShards,
      );
      if (verdict.unmet.length > 0) {
        throw new NoBackendSatisfiesError(`policy ${policy.pattern.source}`, verdict.unmet, [
          {
            backend: chosen.name,
            accepted: false,
            reasons: ['measured by calibrate()', ...verdict.refusals],
          },
        ]);
      }
    }
  }

  private noBackend(
    lockName: string,
    needs: ResolvedNeeds,
    ranked: readonly CandidateReport[],
  ): NoBackendSatisfiesError {
    // Name what the closest candidates miss: a need only the far-off ones fail is not the one to fix.
    const refused = ranked.filter((candidate) => !candidate.qualifies);
    const installed = refused.filter(
      (candidate) => !candidate.unmet.some((need) => need === 'installed' || need.startsWith('backend ')),
    );
    const pool = installed.length > 0 ? installed : refused;
    const fewest = Math.min(...pool.map((candidate) => candidate.unmet.length));
    const unmet = [
      ...new Set(
        pool.filter((candidate) => candidate.unmet.length === fewest).flatMap((candidate) => candidate.unmet),
      ),
    ];
    const verdicts: CandidateVerdict[] = ranked.map((candidate) => ({
      backend: candidate.backend,
      accepted: candidate.qualifies,
      reasons: [...candidate.reasons],
    }));
    const fitting = suggestKinds(needs);
    const hint = fitting.length
      ? `a backend of kind ${fitting.map((info) => `${info.kind} (${info.install})`).join(' or ')} would satisfy them`
      : 'no kind of backend satisfies these needs together; relax one';
    return new NoBackendSatisfiesError(
      lockName,
      unmet.length > 0 ? unmet : describeNeeds(needs),
      verdicts,
      hint,
    );
  }
}

/** Settings that show each kind at its strongest: replicas for Redis, an ensemble for ZooKeeper. */
const STRONGEST: ClusterSettings = { waitReplicas: 1, connectionString: 'a:2181,b:2181,c:2181' };

/** The server kinds that, set up at their strongest, would meet the needs: the hint when nothing configured does. */
function suggestKinds(needs: ResolvedNeeds): BackendKindInfo[] {
  return BACKEND_KIND_NAMES.map((kind) => BACKEND_KINDS[kind]).filter(
    (info) => checkNeeds(needs, info.capabilities(STRONGEST), info.defaultProfile).unmet.length === 0,
  );
}

function builtinEnabled(config: SelectorConfig, kind: BackendKind): boolean {
  const builtins = config.builtins;
  if (builtins === undefined) return true;
  if (typeof builtins === 'boolean') return builtins;
  return builtins[kind as 'mutex' | 'shared-mutex' | 'trylock'] !== false;
}

function buildEntries(config: SelectorConfig): Entry[] {
  const entries: Entry[] = [];
  const configured = config.backends ?? {};
  for (const kind of BACKEND_KIND_NAMES) {
    const info = BACKEND_KINDS[kind];
    if (!info.builtin || kind in configured || !builtinEnabled(config, kind)) continue;
    entries.push(makeEntry(kind, { kind }, true));
  }
  for (const [name, backend] of Object.entries(configured)) entries.push(makeEntry(name, backend, false));
  return entries;
}

function makeEntry(name: string, config: BackendConfig, builtin: boolean): Entry {
  const info = BACKEND_KINDS[config.kind];
  const { clusters: clusterList, profile: _profile, kind: _kind, stableShards, ...shared } = config;
  // A cluster's own settings override the entry's; an unset one must not erase the entry's.
  const clusters = (clusterList ?? [{}]).map((cluster) => {
    const merged: ClusterSettings = { ...shared };
    for (const [key, value] of Object.entries(cluster)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    if (cluster.options !== undefined && shared.options !== undefined) {
      merged.options = { ...shared.options, ...cluster.options };
    }
    return merged;
  });
  return {
    name,
    info,
    config,
    clusters,
    clusterIds: clusters.map((cluster) => cluster.id ?? info.address(cluster)),
    builtin,
    stableShards: stableShards === true,
    factory: undefined,
    unavailable: undefined,
    capabilities: info.capabilities(clusters[0] ?? {}),
    profile: config.profile
      ? { ...config.profile, source: config.profile.source ?? 'declared' }
      : info.defaultProfile,
    providers: new Map(),
  };
}

async function loadEntry(entry: Entry, loadModule: ModuleLoader): Promise<void> {
  const { packageName, install, kind } = entry.info;
  let module: Record<string, unknown>;
  try {
    module = (await loadModule(packageName)) as Record<string, unknown>;
  } catch (error) {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(String((error as Error)?.message))?.[1];
    const detail = !isMissingModule(error)
      ? `package ${packageName} cannot be loaded: ${(error as Error)?.message ?? String(error)}`
      : missing === undefined || missing === packageName || missing.includes(`/${packageName}/`)
        ? `package ${packageName} is not installed; install it with: ${install}`
        : `package ${packageName} needs ${missing}, which is not installed; install them with: ${install}`;
    // A built-in nobody configured is just not a candidate; a configured backend must load.
    if (entry.builtin) {
      entry.unavailable = isMissingModule(error) ? `not installed (${install})` : detail;
      return;
    }
    throw new LockBackendError(kind, 'load', { cause: error, detail: `backends.${entry.name}: ${detail}` });
  }
  const factory = providerFactory(kind, module);
  if (factory === undefined) {
    const detail = `package ${packageName} has no provider factory for kind "${kind}" (expected an export createProvider)`;
    if (entry.builtin) {
      entry.unavailable = detail;
      return;
    }
    throw new LockBackendError(kind, 'load', { detail: `backends.${entry.name}: ${detail}` });
  }
  entry.factory = factory;
}

/**
 * Finds how a backend package builds providers. Every package exports `createProvider(config)`; the in-process
 * package that holds two kinds (`mutex`, `shared-mutex`) is asked for the one by name.
 */
function providerFactory(kind: BackendKind, module: Record<string, unknown>): ProviderFactory | undefined {
  const named = (exportName: string) => {
    const value = module[exportName];
    return typeof value === 'function' ? (value as ProviderFactory) : undefined;
  };
  const constructed = (exportName: string) => {
    const value = module[exportName];
    return typeof value === 'function'
      ? (config: Record<string, unknown>) =>
          new (value as new (config: Record<string, unknown>) => LockProvider)(config)
      : undefined;
  };
  switch (kind) {
    case 'mutex':
      return named('createProvider') ?? constructed('MutexProvider');
    case 'shared-mutex': {
      const generic = named('createProvider');
      // One package, two kinds: its createProvider takes the kind as `backend`.
      const viaGeneric =
        generic !== undefined && typeof module.SharedMutexProvider === 'function'
          ? (config: Record<string, unknown>) => generic({ ...config, backend: 'shared-mutex' })
          : undefined;
      return viaGeneric ?? constructed('SharedMutexProvider');
    }
    case 'trylock':
      return named('createProvider') ?? constructed('TryLockProvider');
    default:
      return named('createProvider');
  }
}
