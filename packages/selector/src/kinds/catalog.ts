/** Where the selector finds a kind it knows by name: the package that describes it, and how to install it. */
export interface CatalogEntry {
  /** The package whose main entry exports the kind's descriptor in `kinds`. */
  readonly packageName: string;
  /** How to install it with its client library. */
  readonly install: string;
}

/**
 * The kinds this selector knows by name. It holds no more than this: what a kind accepts, guarantees and
 * costs comes from its package's descriptor (`kinds` export), loaded when a configuration names the kind. A
 * kind not listed here is named in the configuration with its `package`.
 */
export const KIND_CATALOG: Readonly<Record<string, CatalogEntry>> = Object.freeze({
  mutex: { packageName: '@lock/mutex', install: 'npm install @lock/mutex' },
  'shared-mutex': { packageName: '@lock/mutex', install: 'npm install @lock/mutex' },
  trylock: { packageName: '@lock/trylock', install: 'npm install @lock/trylock' },
  file: { packageName: '@lock/file', install: 'npm install @lock/file' },
  redis: { packageName: '@lock/redis', install: 'npm install @lock/redis ioredis' },
  redlock: { packageName: '@lock/redis', install: 'npm install @lock/redis ioredis' },
  etcd: { packageName: '@lock/etcd', install: 'npm install @lock/etcd etcd3' },
  zk: { packageName: '@lock/zk', install: 'npm install @lock/zk zookeeper' },
  postgres: { packageName: '@lock/postgres', install: 'npm install @lock/postgres pg' },
});

/**
 * The kinds that need no server and no settings, candidates of every configuration unless `builtins` turns
 * them off: the embedded default works with nothing to run and nothing to configure, from one process
 * (`mutex`) to every process of the host (`file`).
 */
export const EMBEDDED_KINDS: readonly string[] = Object.freeze(['mutex', 'shared-mutex', 'trylock', 'file']);
