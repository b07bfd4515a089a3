import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type BackendKind,
  type ConfigIssue,
  checkSettings,
  describeValue,
  InvalidArgumentError,
  InvalidConfigError,
  joinPath,
  type LockBackendError,
  unknownKeyExpected,
} from '@lock/core';
import { EMBEDDED_KINDS, KIND_CATALOG } from '../kinds/catalog.js';
import { kindLoadError, loadKind } from '../kinds/load-kind.js';
import type { BackendConfig, ClusterConfig, ModuleLoader, SelectorConfig } from '../types.js';
import { configSchema, ENTRY_FIELD_NAMES, type ParsedConfig } from './selector-schema.js';

/** A configuration checked against the selector's rules and against each entry's kind. */
export interface CheckedConfig {
  /** The configuration, as given (defaults are not filled in). */
  readonly config: SelectorConfig;
  /** The descriptor of each configured entry's kind, by entry name. */
  readonly kinds: ReadonlyMap<string, BackendKind>;
  /** Each configured entry's settings per cluster, validated by its kind (one element without `clusters`). */
  readonly settings: ReadonlyMap<string, readonly Record<string, unknown>[]>;
  /** The `previousClusters` settings of each entry in a migration phase, validated like `settings`. */
  readonly previousSettings: ReadonlyMap<string, readonly Record<string, unknown>[]>;
}

/** How to check a configuration. */
export interface CheckConfigOptions {
  /** Loads the module of a kind; default: a dynamic `import()`. */
  readonly loadModule: ModuleLoader;
  /** The file the configuration came from: named in errors, and the base of relative `package` paths. */
  readonly source?: string | undefined;
  /**
   * A lease length (ms) for every backend whose grants expire: it replaces the setting each kind names as its
   * lease length (`BackendKind.leaseSetting`) on the entry and its clusters, validated by the kind like any
   * setting.
   */
  readonly leaseTtlMs?: number | undefined;
}

/**
 * Checks a configuration object (as parsed from `lock.config.json`) and loads the kinds its entries name.
 * Every problem is reported at once, each with its JSON path, what was expected and what was received
 * (`InvalidConfigError`): the selector's own fields by its schema, each entry's settings by its kind's schema
 * (so a kind's rules live in its package only), unknown keys with the closest known one. A kind whose
 * package is not installed fails with `LockBackendError` naming what to install.
 */
export async function checkConfig(input: unknown, options: CheckConfigOptions): Promise<CheckedConfig> {
  const shape = checkSettings(configSchema, input, '');
  const issues: ConfigIssue[] = [...shape.issues];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidConfigError(issues, options.source);
  }
  const parsed = (shape.ok ? shape.value : input) as ParsedConfig;
  const kinds = new Map<string, BackendKind>();
  const settings = new Map<string, Record<string, unknown>[]>();
  const previousSettings = new Map<string, Record<string, unknown>[]>();
  const loadErrors: LockBackendError[] = [];
  const leaseErrors: InvalidArgumentError[] = [];
  const entries = isRecord(parsed.backends) ? Object.entries(parsed.backends) : [];
  await Promise.all(
    entries.map(async ([name, raw]) => {
      if (!isRecord(raw) || typeof raw.kind !== 'string') return;
      const path = joinPath('backends', name);
      const entry = raw as BackendConfig;
      const catalog = KIND_CATALOG[entry.kind];
      if (catalog === undefined && entry.package === undefined) {
        issues.push({
          path: joinPath(path, 'kind'),
          expected: `${unknownKeyExpected(entry.kind, Object.keys(KIND_CATALOG), 'kind')}, or a "package" that describes it`,
          received: describeValue(entry.kind),
          value: entry.kind,
        });
        return;
      }
      const specifier = moduleSpecifier(entry.package ?? catalog!.packageName, options.source);
      const install = catalog?.install ?? `npm install ${entry.package}`;
      const lookup = await loadKind(entry.kind, specifier, install, options.loadModule);
      if (!lookup.found) {
        loadErrors.push(kindLoadError(name, entry.kind, lookup.detail));
        return;
      }
      kinds.set(name, lookup.kind);
      const leased = withLease(entry, lookup.kind, options.leaseTtlMs);
      const checked = checkEntrySettings(path, leased, lookup.kind);
      const leasePath = joinPath(path, lookup.kind.leaseSetting ?? '');
      const refused =
        options.leaseTtlMs === undefined
          ? undefined
          : checked.issues.find((issue) => issue.path === leasePath);
      if (refused !== undefined) {
        // The lease length came from the caller, not from the file: say so, naming the caller's parameter.
        leaseErrors.push(
          new InvalidArgumentError(
            'options.ttlMs',
            options.leaseTtlMs,
            `${refused.expected} (the lease length of ${path}, kind ${entry.kind}, is its ${lookup.kind.leaseSetting})`,
          ),
        );
      }
      issues.push(...checked.issues.filter((issue) => issue !== refused));
      settings.set(name, checked.clusters);
      if (checked.previousClusters !== undefined) previousSettings.set(name, checked.previousClusters);
    }),
  );
  issues.push(...checkPolicyBackends(parsed));
  if (leaseErrors.length > 0) throw leaseErrors[0];
  if (issues.length > 0) throw new InvalidConfigError(sortByPath(issues, input), options.source);
  if (loadErrors.length > 0) throw loadErrors[0];
  return { config: parsed as SelectorConfig, kinds, settings, previousSettings };
}

/**
 * Checks one entry's settings with its kind's schema: without `clusters` the entry's own; with them, each
 * cluster merged over the entry's shared settings, a problem in a shared setting reported once at the entry.
 * Clusters must differ: two with one id (or address) would hash alike and half their names go unused.
 */
function checkEntrySettings(
  path: string,
  entry: BackendConfig,
  kind: BackendKind,
): {
  issues: ConfigIssue[];
  clusters: Record<string, unknown>[];
  previousClusters: Record<string, unknown>[] | undefined;
} {
  const shared = settingsOf(entry);
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  if (entry.stableShards !== undefined && entry.clusters === undefined) {
    issues.push({
      path: joinPath(path, 'stableShards'),
      expected: 'no stableShards without a "clusters" list',
      received: describeValue(entry.stableShards),
      value: entry.stableShards,
    });
  }
  for (const key of Object.keys(shared)) {
    // A shared setting every cluster overrides is never used: a mistake, not a default.
    if (entry.clusters?.every((cluster) => key in cluster)) {
      issues.push({
        path: joinPath(path, key),
        expected: `a setting some cluster inherits (every cluster sets its own "${key}"; drop it here or there)`,
        received: describeValue(shared[key]),
        value: shared[key],
      });
    }
  }
  if (entry.previousClusters !== undefined && entry.clusters === undefined) {
    issues.push({
      path: joinPath(path, 'previousClusters'),
      expected: 'no previousClusters without a "clusters" list (the list it changes to)',
      received: describeValue(entry.previousClusters),
      value: entry.previousClusters,
    });
  }
  // Each list by the kind's schema, each cluster merged over the entry's shared settings.
  const checkList = (
    listKey: 'clusters' | 'previousClusters',
    list: readonly (ClusterConfig | undefined)[],
  ): { settings: Record<string, unknown>[]; ids: string[] } => {
    const settings: Record<string, unknown>[] = [];
    const ids: string[] = [];
    list.forEach((cluster, index) => {
      const own = cluster === undefined ? {} : settingsOf(cluster);
      const clusterPath = cluster === undefined ? path : joinPath(joinPath(path, listKey), index);
      const checked = checkSettings(kind.settings, { ...shared, ...own }, clusterPath);
      for (const issue of checked.issues) {
        // A problem in a setting the cluster inherits belongs to the entry, and is reported there once.
        const key = issue.path.slice(clusterPath.length).replace(/^\./, '').split(/[.[]/)[0] ?? '';
        const inherited = cluster !== undefined && key !== '' && !(key in own) && key in shared;
        const located = inherited ? { ...issue, path: path + issue.path.slice(clusterPath.length) } : issue;
        const fingerprint = `${located.path}\0${located.expected}`;
        if (seen.has(fingerprint)) continue;
        seen.add(fingerprint);
        issues.push(located);
      }
      if (!checked.ok) return;
      settings.push(checked.value as Record<string, unknown>);
      const id = cluster?.id ?? entry.id ?? kind.address(checked.value);
      if (ids.includes(id)) {
        issues.push({
          path: cluster?.id === undefined ? clusterPath : joinPath(clusterPath, 'id'),
          expected: 'a cluster id (or address) not already used in this backend',
          received: describeValue(id),
          value: id,
        });
      }
      ids.push(id);
    });
    return { settings, ids };
  };
  const current = checkList('clusters', entry.clusters ?? [undefined]);
  if (entry.previousClusters === undefined || entry.clusters === undefined) {
    return { issues, clusters: current.settings, previousClusters: undefined };
  }
  const previous = checkList('previousClusters', entry.previousClusters);
  // A cluster in both lists is one cluster: its settings must be the same, or the two lists disagree on it.
  previous.ids.forEach((id, index) => {
    const same = current.ids.indexOf(id);
    if (same < 0 || previous.settings[index] === undefined || current.settings[same] === undefined) return;
    if (stableJson(previous.settings[index]) !== stableJson(current.settings[same])) {
      issues.push({
        path: joinPath(joinPath(path, 'previousClusters'), index),
        expected: `the settings of clusters[${same}] (the same cluster id ${JSON.stringify(id)})`,
        received: 'other settings',
        value: entry.previousClusters?.[index],
      });
    }
  });
  return { issues, clusters: current.settings, previousClusters: previous.settings };
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** The entry with its kind's lease-length setting replaced by `leaseTtlMs`, on the entry and every cluster. */
function withLease(entry: BackendConfig, kind: BackendKind, leaseTtlMs: number | undefined): BackendConfig {
  const setting = kind.leaseSetting;
  if (leaseTtlMs === undefined || setting === undefined) return entry;
  const clusters = entry.clusters?.map(({ [setting]: _replaced, ...cluster }) => cluster);
  const previousClusters = entry.previousClusters?.map(({ [setting]: _replaced, ...cluster }) => cluster);
  return {
    ...entry,
    [setting]: leaseTtlMs,
    ...(clusters === undefined ? {} : { clusters }),
    ...(previousClusters === undefined ? {} : { previousClusters }),
  };
}

/** A policy that pins a backend must name one that exists: a configured entry or an embedded kind. */
function checkPolicyBackends(parsed: ParsedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const known = new Set<string>([
    ...embeddedEnabled(parsed as SelectorConfig),
    ...Object.keys(parsed.backends ?? {}),
  ]);
  for (const [pattern, policy] of Object.entries(isRecord(parsed.policies) ? parsed.policies : {})) {
    const path = joinPath('policies', pattern);
    if (pattern.trim() === '' || pattern.includes('\0')) {
      issues.push({
        path,
        expected: 'a non-empty name pattern',
        received: describeValue(pattern),
        value: pattern,
      });
    }
    const backend = isRecord(policy) ? policy.backend : undefined;
    if (typeof backend === 'string' && !known.has(backend)) {
      issues.push({
        path: joinPath(path, 'backend'),
        expected: `the name of a configured backend (${[...known].map((name) => JSON.stringify(name)).join(', ')})`,
        received: describeValue(backend),
        value: backend,
      });
    }
  }
  return issues;
}

/** The embedded kinds a configuration leaves on (`builtins`). */
export function embeddedEnabled(config: Pick<SelectorConfig, 'builtins' | 'backends'>): string[] {
  const builtins = config.builtins;
  return EMBEDDED_KINDS.filter((kind) => {
    if (config.backends !== undefined && kind in config.backends) return false;
    if (builtins === undefined) return true;
    if (typeof builtins === 'boolean') return builtins;
    return builtins[kind] !== false;
  });
}

/** The kind's settings of an entry or cluster: every key that is not one of the selector's own fields. */
function settingsOf(raw: Record<string, unknown>): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined && !ENTRY_FIELD_NAMES.includes(key)) own[key] = value;
  }
  return own;
}

/** A package name as it is; a relative path resolved against the configuration file's folder, as a URL. */
function moduleSpecifier(packageOrPath: string, source: string | undefined): string {
  if (packageOrPath.startsWith('.') || isAbsolute(packageOrPath)) {
    const base = source === undefined ? process.cwd() : dirname(resolve(source));
    return pathToFileURL(resolve(base, packageOrPath)).href;
  }
  return packageOrPath;
}

/** Issues in the order their keys appear in the document, so a report reads top to bottom. */
function sortByPath(issues: ConfigIssue[], input: unknown): ConfigIssue[] {
  const order = new Map<string, number>();
  let counter = 0;
  const walk = (value: unknown, path: string) => {
    order.set(path, counter++);
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, joinPath(path, index));
    } else if (isRecord(value))
      for (const [key, item] of Object.entries(value)) walk(item, joinPath(path, key));
  };
  walk(input, '');
  const rank = (path: string) => {
    let prefix = path;
    for (;;) {
      const found = order.get(prefix);
      if (found !== undefined) return found;
      const parent = prefix.replace(/(\.[^.[]+|\[[^\]]+\])$/, '');
      if (parent === prefix) return Number.MAX_SAFE_INTEGER;
      prefix = parent;
    }
  };
  return issues
    .map((issue, index) => ({ issue, index, rank: rank(issue.path) }))
    .sort((left, right) => left.rank - right.rank || left.index - right.index)
    .map((item) => item.issue);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
