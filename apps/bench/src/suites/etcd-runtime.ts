// The bench is bundled by tsup, which would inline etcd3 (CommonJS with gRPC) and the testkit (which finds
// its child scripts beside its own files). The etcd suite loads them from node_modules at run time,
// through a specifier the bundler cannot see (as the Redis suite does).
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
