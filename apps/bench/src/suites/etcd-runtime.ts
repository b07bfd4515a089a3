// The etcd suite's peers and packages, loaded when the suite runs and not before: `bench mutex` must run
// without a etcd client installed or loaded (the ZooKeeper client is a native addon). tsup keeps them
// external (skipNodeModulesBundle), so these are plain dynamic imports.
import type * as LockEtcd from '@lock/etcd';
import type * as Testkit from '@lock/testkit';
import type * as Etcd3Module from 'etcd3';

const load = (specifier: string): Promise<unknown> => import(specifier);

/** Runtime modules of the etcd suite. */
export interface EtcdRuntime {
  Etcd3: typeof Etcd3Module.Etcd3;
  EtcdLockFailedError: typeof Etcd3Module.EtcdLockFailedError;
  EtcdProvider: typeof LockEtcd.EtcdProvider;
  startEtcd: typeof Testkit.startEtcd;
}

let cached: Promise<EtcdRuntime> | undefined;

export function etcdRuntime(): Promise<EtcdRuntime> {
  cached ??= (async () => {
    const [etcd3, lockEtcd, testkit] = (await Promise.all(
      ['etcd3', '@lock/etcd', '@lock/testkit'].map(load),
    )) as [typeof Etcd3Module, typeof LockEtcd, typeof Testkit];
    return {
      Etcd3: etcd3.Etcd3,
      EtcdLockFailedError: etcd3.EtcdLockFailedError,
      EtcdProvider: lockEtcd.EtcdProvider,
      startEtcd: testkit.startEtcd,
    };
  })();
  return cached;
}
