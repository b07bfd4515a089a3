import {
  type BackendKind,
  type Capabilities,
  type CapabilityProfile,
  isPromise,
  LockBackendError,
  type LockProvider,
  ProviderClosedError,
} from '@lock/core';
import type { BackendConfig } from '../types.js';

/**
 * One backend the selector may choose: a configured entry or an embedded kind, with the descriptor of its
 * kind, the validated settings of each of its clusters, and the providers made from them so far.
 */
export class BackendEntry {
  /** Entry name in the configuration (the kind's name for an embedded kind). */
  readonly name: string;
  /** The kind's name. */
  readonly kindName: string;
  /** True for an embedded kind the configuration does not list. */
  readonly builtin: boolean;
  /** The entry's `stableShards` opt-in. */
  readonly stableShards: boolean;
  /** Settings of each cluster, as the kind validated them. */
  readonly clusters: readonly Record<string, unknown>[];
  /** Each cluster's id for rendezvous hashing: its `id`, else its address. */
  readonly clusterIds: readonly string[];
  /**
   * In the migration phase of a cluster-list change (`previousClusters`): each previous cluster's id, in the
   * previous list's order; undefined otherwise.
   */
  readonly previousClusterIds: readonly string[] | undefined;
  /** The kind's descriptor; undefined when its package could not be loaded (then `unavailable` says why). */
  readonly kind: BackendKind | undefined;
  /** Why the entry cannot be used (an embedded kind whose package is not installed), or undefined. */
  readonly unavailable: string | undefined;
  /** What its locks guarantee, as its kind declares for these settings (the provider declares the same). */
  readonly capabilities: Capabilities;
  /** Speed figures to select by: declared, measured by calibration, or the kind's defaults. */
  profile: CapabilityProfile | undefined;
  /** Providers by cluster id: a cluster in both the previous and the current list is one cluster. */
  private readonly providers = new Map<string, LockProvider | Promise<LockProvider>>();
  private readonly settingsById = new Map<string, Record<string, unknown>>();

  constructor(settings: {
    name: string;
    kindName: string;
    builtin: boolean;
    config: BackendConfig | undefined;
    kind: BackendKind | undefined;
    clusters: readonly Record<string, unknown>[];
    previousClusters?: readonly Record<string, unknown>[] | undefined;
    unavailable?: string | undefined;
  }) {
    const { config, kind } = settings;
    this.name = settings.name;
    this.kindName = settings.kindName;
    this.builtin = settings.builtin;
    this.stableShards = config?.stableShards === true;
    this.kind = kind;
    this.unavailable = settings.unavailable;
    this.clusters = settings.clusters.length > 0 ? settings.clusters : [{}];
    this.clusterIds = this.clusters.map(
      (cluster, index) => config?.clusters?.[index]?.id ?? config?.id ?? kind?.address(cluster) ?? this.name,
    );
    this.previousClusterIds = settings.previousClusters?.map(
      (cluster, index) =>
        config?.previousClusters?.[index]?.id ?? config?.id ?? kind?.address(cluster) ?? this.name,
    );
    // A cluster in both lists is one cluster (validated to have the same settings): the current list's wins.
    const previous = settings.previousClusters ?? [];
    for (const [index, cluster] of previous.entries())
      this.settingsById.set(this.previousClusterIds![index]!, cluster);
    for (const [index, cluster] of this.clusters.entries())
      this.settingsById.set(this.clusterIds[index]!, cluster);
    this.capabilities = kind?.capabilities(this.clusters[0]!) ?? unloadedCapabilities(settings.kindName);
    this.profile =
      config?.profile !== undefined
        ? { ...config.profile, source: config.profile.source ?? 'declared' }
        : kind?.defaultProfile;
  }

  /** The provider of one cluster, created on first use. A failed creation is not kept: the next call tries again. */
  provider(index: number, closed: boolean): LockProvider | Promise<LockProvider> {
    return this.providerOf(this.clusterIds[index]!, closed);
  }

  /** The provider of one cluster of the previous list (the migration phase), like {@link provider}. */
  previousProvider(index: number, closed: boolean): LockProvider | Promise<LockProvider> {
    return this.providerOf(this.previousClusterIds![index]!, closed);
  }

  private providerOf(id: string, closed: boolean): LockProvider | Promise<LockProvider> {
    if (closed) throw new ProviderClosedError('selector', 'create a provider');
    const existing = this.providers.get(id);
    if (existing !== undefined) return existing;
    if (this.kind === undefined) {
      throw new LockBackendError(this.kindName, 'load', { detail: this.unavailable ?? 'not loaded' });
    }
    const created = this.kind.createProvider(this.settingsById.get(id)!);
    if (!isPromise(created)) {
      this.providers.set(id, created);
      return created;
    }
    const pending = created.then(
      (provider) => {
        this.providers.set(id, provider);
        return provider;
      },
      (error: unknown) => {
        if (this.providers.get(id) === pending) this.providers.delete(id);
        throw error;
      },
    );
    this.providers.set(id, pending);
    return pending;
  }

  /** Closes every provider made so far (and forgets them). */
  async close(): Promise<PromiseSettledResult<void>[]> {
    const providers = [...this.providers.values()];
    this.providers.clear();
    return Promise.allSettled(providers.map(async (provider) => (await provider).close()));
  }
}

/** What an entry whose kind could not be loaded is judged by: nothing it could be chosen for. */
function unloadedCapabilities(kind: string): Capabilities {
  return {
    backend: kind,
    scope: 'process',
    durability: 'memory',
    waiting: 'none',
    fifo: false,
    fencing: false,
    leases: false,
  };
}
