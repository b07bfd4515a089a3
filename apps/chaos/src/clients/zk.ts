// A chaos client: one ZooKeeper session per client process, connected to the whole ensemble.
import { createProvider } from '@lock/zk';
import type { ClientArgs } from './client-args.js';

export default async function zkClient(args: unknown) {
  const { config, name } = args as ClientArgs<Parameters<typeof createProvider>[0]>;
  const provider = createProvider(config);
  return { lock: provider.lock(name), close: () => provider.close() };
}
