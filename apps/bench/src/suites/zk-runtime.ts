// The ZooKeeper suite's peers and packages, loaded when the suite runs and not before: `bench mutex` must run
// without a ZooKeeper client installed or loaded (the ZooKeeper client is a native addon). tsup keeps them
// external (skipNodeModulesBundle), so these are plain dynamic imports.
import type * as Testkit from '@lock/testkit';
import type * as LockZk from '@lock/zk';

const load = (specifier: string): Promise<unknown> => import(specifier);

/** The raw client methods the floors use (callback API of the `zookeeper` 7.x addon). */
export interface RawZooKeeper {
  init(settings: Record<string, unknown>): unknown;
  close(): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  a_create(
    path: string,
    data: string,
    flags: number,
    done: (rc: number, error: string, path: string) => void,
  ): number;
  a_get_children(
    path: string,
    watch: boolean,
    done: (rc: number, error: string, children: string[]) => void,
  ): number;
  a_delete_(path: string, version: number, done: (rc: number, error: string) => void): number;
  aw_get(path: string, watcher: (type: number) => void, done: (rc: number, error: string) => void): number;
}

/** Runtime modules of the zk suite. */
export interface ZkRuntime {
  ZooKeeper: new (config: Record<string, unknown>) => RawZooKeeper;
  ZooKeeperProvider: typeof LockZk.ZooKeeperProvider;
  startZooKeeper: typeof Testkit.startZooKeeper;
}

let cached: Promise<ZkRuntime> | undefined;

export function zkRuntime(): Promise<ZkRuntime> {
  cached ??= (async () => {
    const [zookeeper, lockZk, testkit] = (await Promise.all(
      ['zookeeper', '@lock/zk', '@lock/testkit'].map(load),
    )) as [{ default?: unknown }, typeof LockZk, typeof Testkit];
    return {
      ZooKeeper: (zookeeper.default ?? zookeeper) as ZkRuntime['ZooKeeper'],
      ZooKeeperProvider: lockZk.ZooKeeperProvider,
      startZooKeeper: testkit.startZooKeeper,
    };
  })();
  return cached;
}

/** A raw client with promise wrappers, connected: the floor uses nothing of @lock/zk. */
export async function rawClient(runtime: ZkRuntime, connectionString: string) {
  const client = new runtime.ZooKeeper({ connect: connectionString, timeout: 10_000, debug_level: 0 });
  await new Promise<void>((resolve) => {
    client.on('connect', () => resolve());
    client.init({});
  });
  const call = <T>(start: (done: (rc: number, value: T) => void) => number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const queued = start((rc, value) =>
        rc === 0 || rc === -110 ? resolve(value) : reject(new Error(`zk rc ${rc}`)),
      );
      if (queued !== 0) reject(new Error(`zk rc ${queued}`));
    });
  return {
    create: (path: string, flags: number) =>
      call<string>((done) => client.a_create(path, '', flags, (rc, _error, created) => done(rc, created))),
    getChildren: (path: string) =>
      call<string[]>((done) =>
        client.a_get_children(path, false, (rc, _error, children) => done(rc, children)),
      ),
    delete: (path: string) => call<void>((done) => client.a_delete_(path, -1, (rc) => done(rc, undefined))),
    /** Sets a data watch; resolves once the watch is in place, with `event`: a promise of its first event. */
    watch: async (path: string) => {
      let fired: (type: number) => void = () => undefined;
      const event = new Promise<number>((resolve) => {
        fired = resolve;
      });
      await call<void>((done) =>
        client.aw_get(
          path,
          (type) => fired(type),
          (rc) => done(rc, undefined),
        ),
      );
      return { event };
    },
    close: () =>
      new Promise<void>((resolve) => {
        client.on('close', () => resolve());
        setImmediate(() => client.close());
      }),
  };
}
