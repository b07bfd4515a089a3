import type { Etcd3 } from 'etcd3';

/**
 * The parts of an `etcd3` client this package uses, typed structurally so that tests are not tied to one
 * build of `etcd3`. `maintenance` is optional: without it the server version is not read (and not warned
 * about).
 */
export type EtcdClient = Pick<Etcd3, 'kv' | 'leaseClient' | 'watchClient' | 'close'> &
  Partial<Pick<Etcd3, 'maintenance'>>;
