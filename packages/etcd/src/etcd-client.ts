import type { Etcd3 } from 'etcd3';

/**
 * The parts of an `etcd3` client this package uses, typed structurally so a caller's own client (or a
 * namespaced one) fits, and tests are not tied to one build of `etcd3`.
 */
export type EtcdClient = Pick<Etcd3, 'kv' | 'leaseClient' | 'watch' | 'close'>;
