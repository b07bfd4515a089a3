import { describeConformance } from '@lock/testkit/conformance';
import { afterAll } from 'vitest';
import type { ZooKeeperProvider } from '../src/index.js';
import { adminSession, expireProviderSession, lockNodes, makeProvider, startServers } from './support.js';

for (const size of [1, 3] as const) {
  const servers = startServers({ servers: size });
  const admin = servers.then((ensemble) => adminSession(ensemble.connectionString));
  afterAll(async () => {
    await (await admin).close();
    await (await servers).close();
  });

  describeConformance({
    name: size === 1 ? 'zookeeper (standalone)' : 'zookeeper (3-server ensemble)',
    createProvider: async () => makeProvider((await servers).connectionString),
    // Expire the holder's session from another client: the server ends it, the holder hears "expired".
    loseGrant: async (_lease, provider) =>
      expireProviderSession(provider as ZooKeeperProvider, (await servers).connectionString),
    leftovers: async (name, provider) =>
      (await lockNodes(await admin, (provider as ZooKeeperProvider).parentPath(name))).length,
    queueDepth: async (name, provider) => (await (provider as ZooKeeperProvider).status(name)).waiterCount,
  });
}
