import { InvalidArgumentError } from '@lock/core';
import { BACKEND_KIND_NAMES, BACKEND_KINDS } from './backend-kinds.js';
import type {
  BackendConfig,
  BackendKind,
  ClusterSettings,
  DeclaredProfile,
  PolicyConfig,
  SelectorConfig,
} from './types.js';

const SCOPES = ['process', 'threads', 'cluster'] as const;
const DURABILITIES = ['memory', 'single-node', 'replicated-async', 'consensus'] as const;
const BUILTIN_NAMES = ['mutex', 'shared-mutex', 'trylock'] as const;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The connection fields each kind accepts (besides `id` and `options`), and the one that is its address. */
const CONNECTION_FIELDS: Record<BackendKind, { fields: readonly string[]; address?: string }> = {
  mutex: { fields: [] },
  'shared-mutex': { fields: [] },
  trylock: { fields: [] },
  redis: { fields: ['url', 'prefix', 'ttlMs', 'waitReplicas'], address: 'url' },
  redlock: { fields: ['endpoints', 'prefix', 'ttlMs'], address: 'endpoints' },
  etcd: { fields: ['endpoints', 'prefix', 'ttlMs'], address: 'endpoints' },
  zk: { fields: ['connectionString', 'sessionTimeoutMs', 'root'], address: 'connectionString' },
};

/** `parent.key`, or `parent["odd key"]` when the key is not an identifier. @internal */
export function jsonPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function fail(path: string, value: unknown, expected: string): never {
  throw new InvalidArgumentError(path || 'config', value, expected);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(path: string, value: unknown, what = 'an object'): Record<string, unknown> {
  if (!isPlainObject(value)) fail(path, value, what);
  return value;
}

function rejectUnknown(
  path: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
  hint = '',
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      fail(jsonPath(path, key), value[key], `no such field${hint} (allowed: ${allowed.join(', ')})`);
    }
  }
}

function optionalString(path: string, value: unknown, what = 'a non-empty string'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(path, value, what);
  return value;
}

function optionalInteger(path: string, value: unknown, min: number, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(path, value, what);
  return value;
}

function optionalPositive(path: string, value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(path, value, what);
  return value;
}

function optionalBoolean(path: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(path, value, 'true or false');
  return value;
}

function optionalOneOf<T extends string>(path: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    fail(path, value, `one of ${choices.map((choice) => JSON.stringify(choice)).join(', ')}`);
  }
  return value as T;
}

function url(path: string, value: unknown, protocols: readonly string[], what: string): string {
  if (typeof value !== 'string') fail(path, value, what);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(path, value, what);
  }
  if (!protocols.includes(parsed.protocol) || parsed.hostname === '') fail(path, value, what);
  return value;
}

function urlList(path: string, value: unknown, protocols: readonly string[], what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(path, value, `a non-empty array of ${what}s`);
  const seen = new Set<string>();
  return value.map((item, index) => {
    const itemPath = jsonPath(path, index);
    const text = url(itemPath, item, protocols, what);
    // The same server listed twice would count twice towards a quorum or a cluster.
    if (seen.has(text)) fail(itemPath, item, `a URL not already listed in ${path}`);
    seen.add(text);
    return text;
  });
}

function connectionString(path: string, value: unknown): string {
  const what = 'a ZooKeeper connection string "host:port[,host:port...][/chroot]"';
  if (typeof value !== 'string') fail(path, value, what);
  const [hosts = '', ...chroot] = value.split('/');
  const valid = hosts
    .split(',')
    .every((hostPort) => /^[^\s:,]+:\d{1,5}$/.test(hostPort) && Number(hostPort.split(':')[1]) <= 65_535);
  if (!valid || (chroot.length > 0 && chroot.join('/') === '')) fail(path, value, what);
  return value;
}

function validateSettings(
  path: string,
  raw: Record<string, unknown>,
  kind: BackendKind,
  addressRequired: boolean,
): ClusterSettings {
  const settings: ClusterSettings = {};
  const spec = CONNECTION_FIELDS[kind];
  if (spec.address !== undefined && raw[spec.address] !== undefined) {
    const addressPath = jsonPath(path, spec.address);
    const value = raw[spec.address];
    if (kind === 'redis')
      settings.url = url(addressPath, value, ['redis:', 'rediss:'], 'a redis:// URL string');
    if (kind === 'redlock') {
      settings.endpoints = urlList(addressPath, value, ['redis:', 'rediss:'], 'redis:// URL string');
      // An even count adds no fault tolerance (4 needs 3, like 3 does) and invites a false sense of safety.
      if (settings.endpoints.length % 2 === 0) {
        fail(addressPath, value, 'an odd number of independent Redis URLs (quorum = N/2 + 1)');
      }
    }
    if (kind === 'etcd') {
      settings.endpoints = urlList(addressPath, value, ['http:', 'https:'], 'http:// URL string');
    }
    if (kind === 'zk') settings.connectionString = connectionString(addressPath, value);
  } else if (addressRequired && spec.address !== undefined) {
    const expected =
      kind === 'redis'
        ? 'a redis:// URL string'
        : kind === 'zk'
          ? 'a ZooKeeper connection string "host:port[,host:port...]"'
          : `a non-empty array of ${kind === 'etcd' ? 'http' : 'redis'}:// URL strings`;
    fail(jsonPath(path, spec.address), undefined, `${expected} (or a "clusters" list)`);
  }
  if (spec.fields.includes('prefix')) settings.prefix = optionalString(jsonPath(path, 'prefix'), raw.prefix);
  if (spec.fields.includes('ttlMs')) {
    settings.ttlMs = optionalInteger(
      jsonPath(path, 'ttlMs'),
      raw.ttlMs,
      1,
      'a positive integer number of milliseconds',
    );
  }
  if (spec.fields.includes('waitReplicas')) {
    settings.waitReplicas = optionalInteger(
      jsonPath(path, 'waitReplicas'),
      raw.waitReplicas,
      0,
      'a non-negative integer count of replicas',
    );
  }
  if (spec.fields.includes('sessionTimeoutMs')) {
    settings.sessionTimeoutMs = optionalInteger(
      jsonPath(path, 'sessionTimeoutMs'),
      raw.sessionTimeoutMs,
      1,
      'a positive integer number of milliseconds',
    );
  }
  if (spec.fields.includes('root')) {
    const root = optionalString(jsonPath(path, 'root'), raw.root);
    if (root !== undefined && (!root.startsWith('/') || (root.length > 1 && root.endsWith('/')))) {
      fail(jsonPath(path, 'root'), root, 'an absolute ZooKeeper path like "/locks" (no trailing slash)');
    }
    settings.root = root;
  }
  if (raw.options !== undefined) settings.options = expectObject(jsonPath(path, 'options'), raw.options);
  for (const key of Object.keys(settings) as Array<keyof ClusterSettings>) {
    if (settings[key] === undefined) delete settings[key];
  }
  return settings;
}

function validateProfile(path: string, raw: unknown): DeclaredProfile {
  const profile = expectObject(path, raw, 'an object { acquireReleaseP50Ms, opsPerSec }');
  rejectUnknown(path, profile, ['acquireReleaseP50Ms', 'opsPerSec', 'source']);
  const p50Path = jsonPath(path, 'acquireReleaseP50Ms');
  const opsPath = jsonPath(path, 'opsPerSec');
  if (profile.acquireReleaseP50Ms === undefined)
    fail(p50Path, undefined, 'a positive number of milliseconds');
  if (profile.opsPerSec === undefined) fail(opsPath, undefined, 'a positive number of operations per second');
  return {
    acquireReleaseP50Ms: optionalPositive(
      p50Path,
      profile.acquireReleaseP50Ms,
      'a positive number of milliseconds',
    )!,
    opsPerSec: optionalPositive(opsPath, profile.opsPerSec, 'a positive number of operations per second')!,
    source:
      optionalOneOf(jsonPath(path, 'source'), profile.source, ['benchmark', 'declared'] as const) ??
      'declared',
  };
}

function validateBackend(path: string, raw: unknown): BackendConfig {
  const entry = expectObject(path, raw, 'a backend object with a "kind"');
  const kind = optionalOneOf(jsonPath(path, 'kind'), entry.kind, BACKEND_KIND_NAMES);
  if (kind === undefined) {
    fail(
      jsonPath(path, 'kind'),
      undefined,
      `one of ${BACKEND_KIND_NAMES.map((name) => `"${name}"`).join(', ')}`,
    );
  }
  const spec = CONNECTION_FIELDS[kind];
  const builtin = BACKEND_KINDS[kind].builtin;
  const common = builtin
    ? ['kind', 'profile', 'options']
    : ['kind', 'profile', 'clusters', 'stableShards', 'options'];
  rejectUnknown(path, entry, [...common, ...spec.fields], ` for kind "${kind}"`);
  const clusters = entry.clusters;
  if (clusters !== undefined && spec.address !== undefined && entry[spec.address] !== undefined) {
    fail(
      jsonPath(path, spec.address),
      entry[spec.address],
      `no ${spec.address} next to "clusters" (give each cluster its own)`,
    );
  }
  const config: BackendConfig = { kind, ...validateSettings(path, entry, kind, clusters === undefined) };
  if (entry.profile !== undefined) config.profile = validateProfile(jsonPath(path, 'profile'), entry.profile);
  const stableShards = optionalBoolean(jsonPath(path, 'stableShards'), entry.stableShards);
  if (stableShards !== undefined) {
    // Without clusters there is nothing to keep stable: a misplaced opt-in is a mistake, not a no-op.
    if (clusters === undefined) {
      fail(jsonPath(path, 'stableShards'), stableShards, 'no stableShards without a "clusters" list');
    }
    config.stableShards = stableShards;
  }
  if (clusters !== undefined) {
    const clustersPath = jsonPath(path, 'clusters');
    if (!Array.isArray(clusters) || clusters.length === 0) {
      fail(clustersPath, clusters, 'a non-empty array of cluster settings');
    }
    const ids = new Set<string>();
    config.clusters = clusters.map((item, index) => {
      const itemPath = jsonPath(clustersPath, index);
      const clusterRaw = expectObject(
        itemPath,
        item,
        'an object with the cluster\u2019s connection settings',
      );
      rejectUnknown(itemPath, clusterRaw, ['id', 'options', ...spec.fields], ` for kind "${kind}"`);
      const cluster = validateSettings(itemPath, clusterRaw, kind, true);
      const id = optionalString(jsonPath(itemPath, 'id'), clusterRaw.id);
      if (id !== undefined) cluster.id = id;
      const key = id ?? BACKEND_KINDS[kind].address(cluster);
      // Two clusters with one id would hash identically: half of their names would never be used.
      if (ids.has(key))
        fail(
          id === undefined ? jsonPath(itemPath, spec.address!) : jsonPath(itemPath, 'id'),
          key,
          'a cluster id (or address) not already used in this backend',
        );
      ids.add(key);
      return cluster;
    });
  }
  return config;
}

function validatePolicy(path: string, raw: unknown, backendNames: ReadonlySet<string>): PolicyConfig {
  const entry = expectObject(path, raw, 'an object of needs');
  rejectUnknown(path, entry, [
    'scope',
    'durability',
    'fencing',
    'blocking',
    'maxLatencyMs',
    'minOpsPerSec',
    'backend',
  ]);
  const policy: PolicyConfig = {};
  const scope = optionalOneOf(jsonPath(path, 'scope'), entry.scope, SCOPES);
  if (scope !== undefined) policy.scope = scope;
  const durability = optionalOneOf(jsonPath(path, 'durability'), entry.durability, DURABILITIES);
  if (durability !== undefined) policy.durability = durability;
  const fencing = optionalBoolean(jsonPath(path, 'fencing'), entry.fencing);
  if (fencing !== undefined) policy.fencing = fencing;
  const blocking = optionalBoolean(jsonPath(path, 'blocking'), entry.blocking);
  if (blocking !== undefined) policy.blocking = blocking;
  const maxLatencyMs = optionalPositive(
    jsonPath(path, 'maxLatencyMs'),
    entry.maxLatencyMs,
    'a positive number of milliseconds',
  );
  if (maxLatencyMs !== undefined) policy.maxLatencyMs = maxLatencyMs;
  const minOpsPerSec = optionalPositive(
    jsonPath(path, 'minOpsPerSec'),
    entry.minOpsPerSec,
    'a positive number of operations per second',
  );
  if (minOpsPerSec !== undefined) policy.minOpsPerSec = minOpsPerSec;
  if (entry.backend !== undefined) {
    if (typeof entry.backend !== 'string' || !backendNames.has(entry.backend)) {
      fail(
        jsonPath(path, 'backend'),
        entry.backend,
        `the name of a configured backend (${[...backendNames].map((name) => `"${name}"`).join(', ')})`,
      );
    }
    policy.backend = entry.backend;
  }
  return policy;
}

/**
 * Checks a configuration object (as parsed from `lock.config.json`) and returns a clean copy. Throws
 * `InvalidArgumentError` whose `parameter` is the JSON path of the first bad field, e.g.
 * `Invalid backends.orders.url: expected a redis:// URL string, received 42`. Unknown fields are errors, so a
 * typo never silently falls back to a default.
 */
export function validateConfig(input: unknown): SelectorConfig {
  const root = expectObject('', input, 'a configuration object { backends, policies }');
  rejectUnknown('', root, ['$schema', 'backends', 'policies', 'builtins']);
  const config: SelectorConfig = {};
  const backendNames = new Set<string>();
  if (root.builtins !== undefined) {
    if (typeof root.builtins === 'boolean') config.builtins = root.builtins;
    else {
      const builtins = expectObject(
        'builtins',
        root.builtins,
        'true, false, or an object of built-in names to booleans',
      );
      rejectUnknown('builtins', builtins, BUILTIN_NAMES);
      config.builtins = {};
      for (const name of BUILTIN_NAMES) {
        const enabled = optionalBoolean(jsonPath('builtins', name), builtins[name]);
        if (enabled !== undefined) config.builtins[name] = enabled;
      }
    }
  }
  for (const name of BUILTIN_NAMES) {
    const builtins = config.builtins;
    const enabled =
      builtins === undefined || (typeof builtins === 'boolean' ? builtins : builtins[name] !== false);
    if (enabled) backendNames.add(name);
  }
  if (root.backends !== undefined) {
    const backends = expectObject('backends', root.backends, 'an object of backend entries by name');
    config.backends = {};
    for (const [name, raw] of Object.entries(backends)) {
      const path = jsonPath('backends', name);
      if (name.trim() === '') fail(path, name, 'a non-empty backend name');
      config.backends[name] = validateBackend(path, raw);
      backendNames.add(name);
    }
  }
  if (root.policies !== undefined) {
    const policies = expectObject('policies', root.policies, 'an object of needs by lock-name pattern');
    config.policies = {};
    for (const [pattern, raw] of Object.entries(policies)) {
      const path = jsonPath('policies', pattern);
      if (pattern.trim() === '' || pattern.includes('\0')) fail(path, pattern, 'a non-empty name pattern');
      config.policies[pattern] = validatePolicy(path, raw, backendNames);
    }
  }
  return config;
}
