import type { Capabilities, CapabilityProfile } from '@lock/core';
import type { BackendKind, ClusterSettings } from './types.js';

/** What the selector knows about one kind of backend before loading its package. */
export interface BackendKindInfo {
  /** The kind, as written in a configuration's `kind` field. */
  readonly kind: BackendKind;
  /** The package that implements it. */
  readonly packageName: string;
  /** How to install it (the package and its client), for the "not installed" message. */
  readonly install: string;
  /** True for in-process kinds that need no server and no settings. */
  readonly builtin: boolean;
  /**
   * Speed to select by when neither the configuration nor a calibration gives one: rough medians of
   * `calibrate()` on the project's reference machines (2 cores, loopback servers, under load), see the README.
   */
  readonly defaultProfile: CapabilityProfile;
  /** The capabilities the kind declares with these settings (the provider's own replace them once it exists). */
  capabilities(settings: ClusterSettings): Capabilities;
  /** The JSON-friendly config handed to the package's `createProvider`. */
  providerConfig(settings: ClusterSettings): Record<string, unknown>;
  /** A stable id for rendezvous hashing: the cluster's address. */
  address(settings: ClusterSettings): string;
}

function zkServerCount(connectionString: string | undefined): number {
  return connectionString === undefined ? 1 : connectionString.split('/')[0]!.split(',').length;
}

function declared(acquireReleaseP50Ms: number, opsPerSec: number): CapabilityProfile {
  return Object.freeze({ acquireReleaseP50Ms, opsPerSec, source: 'declared' as const });
}

/** Copies the defined fields only, so a backend's own defaults apply to the rest. */
function defined(fields: Record<string, unknown>, extra: Record<string, unknown> | undefined) {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) config[key] = value;
  return { ...config, ...extra };
}

function inProcess(
  kind: BackendKind,
  packageName: string,
  capabilities: Capabilities,
  profile: CapabilityProfile,
): BackendKindInfo {
  return {
    kind,
    packageName,
    install: `npm install ${packageName}`,
    builtin: true,
    defaultProfile: profile,
    capabilities: () => capabilities,
    providerConfig: (settings) => defined({}, settings.options),
    address: () => kind,
  };
}

/**
 * Every kind the selector can build, with the package to load and what it declares. Durability follows the
 * chapter: a single Redis node loses its locks with it; replica acknowledgement (`waitReplicas`) and Redlock
 * narrow that window without closing it (asynchronous replication, no consensus, Redlock has no fencing);
 * etcd and a ZooKeeper ensemble grant through a quorum (a standalone ZooKeeper is a single node).
 */
const KINDS: Record<BackendKind, BackendKindInfo> = {
  mutex: inProcess(
    'mutex',
    '@lock/mutex',
    {
      backend: 'mutex',
      scope: 'process',
      durability: 'memory',
      waiting: 'queue',
      fifo: true,
      fencing: true,
      leases: false,
    },
    declared(0.0003, 1_000_000),
  ),
  'shared-mutex': inProcess(
    'shared-mutex',
    '@lock/mutex',
    {
      backend: 'shared-mutex',
      scope: 'threads',
      durability: 'memory',
      waiting: 'queue',
      fifo: true,
      fencing: true,
      leases: false,
    },
    declared(0.001, 500_000),
  ),
  trylock: inProcess(
    'trylock',
    '@lock/trylock',
    {
      backend: 'trylock',
      // Its provider keeps each name's slot in this process; a TryLock shared with workers is built by hand.
      scope: 'process',
      durability: 'memory',
      waiting: 'none',
      fifo: false,
      fencing: true,
      leases: false,
    },
    declared(0.0008, 500_000),
  ),
  redis: {
    kind: 'redis',
    packageName: '@lock/redis',
    install: 'npm install @lock/redis ioredis',
    builtin: false,
    defaultProfile: declared(0.25, 4_000),
    capabilities: (settings) => ({
      backend: 'redis',
      scope: 'cluster',
      durability: (settings.waitReplicas ?? 0) > 0 ? 'replicated-async' : 'single-node',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
    }),
    providerConfig: (settings) =>
      defined(
        {
          url: settings.url,
          prefix: settings.prefix,
          ttlMs: settings.ttlMs,
          waitReplicas: settings.waitReplicas,
        },
        settings.options,
      ),
    address: (settings) => settings.url ?? '',
  },
  redlock: {
    kind: 'redlock',
    packageName: '@lock/redis',
    install: 'npm install @lock/redis ioredis',
    builtin: false,
    defaultProfile: declared(0.75, 1_300),
    capabilities: () => ({
      backend: 'redlock',
      scope: 'cluster',
      durability: 'replicated-async',
      // Redlock takes a quorum of independent instances in one try; it has no server-side queue to wait in.
      waiting: 'none',
      fifo: false,
      fencing: false,
      leases: true,
    }),
    providerConfig: (settings) =>
      defined(
        {
          redlock: { endpoints: settings.endpoints },
          prefix: settings.prefix,
          ttlMs: settings.ttlMs,
        },
        settings.options,
      ),
    address: (settings) => (settings.endpoints ?? []).join(','),
  },
  etcd: {
    kind: 'etcd',
    packageName: '@lock/etcd',
    install: 'npm install @lock/etcd etcd3',
    builtin: false,
    defaultProfile: declared(3.5, 280),
    capabilities: () => ({
      backend: 'etcd',
      scope: 'cluster',
      durability: 'consensus',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
    }),
    providerConfig: (settings) =>
      defined(
        { endpoints: settings.endpoints, ttlMs: settings.ttlMs, prefix: settings.prefix },
        settings.options,
      ),
    address: (settings) => (settings.endpoints ?? []).join(','),
  },
  zk: {
    kind: 'zk',
    packageName: '@lock/zk',
    install: 'npm install @lock/zk zookeeper',
    builtin: false,
    defaultProfile: declared(3.2, 300),
    capabilities: (settings) => ({
      backend: 'zk',
      scope: 'cluster',
      // A standalone server is a quorum of one: its loss loses every lock.
      durability: zkServerCount(settings.connectionString) > 1 ? 'consensus' : 'single-node',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
    }),
    providerConfig: (settings) =>
      defined(
        {
          connectionString: settings.connectionString,
          sessionTimeoutMs: settings.sessionTimeoutMs,
          root: settings.root,
        },
        settings.options,
      ),
    address: (settings) => settings.connectionString ?? '',
  },
};

/**
 * Every kind the selector can build, with the package to load and what it declares (see above for the
 * durability each kind declares).
 */
export const BACKEND_KINDS: Readonly<Record<BackendKind, BackendKindInfo>> = Object.freeze(KINDS);

/** The kinds a configuration may name, in a stable order. */
export const BACKEND_KIND_NAMES = Object.freeze(Object.keys(BACKEND_KINDS) as BackendKind[]);
