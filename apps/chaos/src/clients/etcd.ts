// A chaos client: one etcd session per client process, with every member as an endpoint.
import { createProvider, type EtcdProviderConfig } from '@lock/etcd';
import type { ClientArgs } from './client-args.js';

export default async function etcdClient(args: unknown) {
  const { config, name } = args as ClientArgs<EtcdProviderConfig>;
  const provider = createProvider(config);
  return { lock: provider.lock(name), close: () => provider.close() };
}
