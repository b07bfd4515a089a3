// A chaos client: one Redis lock provider per client process, built from the same JSON config a user
// would write in lock.config.json.
import { createProvider, type RedisProviderConfig } from '@lock/redis';
import type { ClientArgs } from './client-args.js';

export default async function redisClient(args: unknown) {
  const { config, name, ttlMs } = args as ClientArgs<RedisProviderConfig>;
  const provider = createProvider(config);
  return { lock: provider.lock(name, { ttlMs }), close: () => provider.close() };
}
