import {
  type EtcdCluster,
  FaultProxy,
  type RedisServer,
  startEtcd,
  startRedis,
  startZooKeeper,
  type ZooKeeperEnsemble,
} from '@lock/testkit';
import { etcdServerVersion } from './etcd-server-version.js';
import { listedEntries } from './listed-entries.js';

/** A backend under test: where its servers are, how clients reach them, and how to disturb them. */
export interface Topology {
  backend: Backend;
  /** Servers of the backend: 1 for Redis, 3 (or 1, `--members 1`) for etcd and ZooKeeper. */
  members: number;
  /** Client config for `createProvider` (the leftovers check's own provider uses it). */
  config: Record<string, unknown>;
  /** Client config of the client in `slot` (Redis: through that slot's own fault proxy). */
  configFor(slot: number): Record<string, unknown>;
  /** Blackholes the link of the client in `slot` for `ms`, then resets it (a half-open link that dies). */
  blackhole(slot: number, ms: number): Promise<string>;
  /** Drops the replies to the client in `slot` for `ms` (its requests still arrive), then resets its link. */
  dropReplies(slot: number, ms: number): Promise<string>;
  /** Resets (TCP RST) the connections of the client in `slot`. */
  resetLink(slot: number): Promise<string>;
  /** Delays the replies to the client in `slot` by `delayMs` for `forMs`. */
  delayReplies(slot: number, delayMs: number, forMs: number): Promise<string>;
  /** Compiled client module for `runClients`. */
  clientModule: string;
  /** The server's version as it reports it, where the cell's expectation depends on it (etcd). */
  serverVersion?: string | undefined;
  /** Crash and restart the server (single node) or the leader (cluster). */
  crashAndRestart(downMs: number): Promise<string>;
  /** SIGSTOP the leader (or the single server) for `pausedMs`, then SIGCONT. */
  pauseLeader(pausedMs: number): Promise<string>;
  /** Entries the backend still holds for `name` (holder + waiters), measured from a fresh provider. */
  leftovers(name: string): Promise<number>;
  close(): Promise<void>;
}

export type Backend = 'redis' | 'etcd' | 'zk';
export const BACKENDS: readonly Backend[] = ['redis', 'etcd', 'zk'];

const clientModule = (backend: Backend) => new URL(`./clients/${backend}.js`, import.meta.url).href;
/** Link faults go through the per-client fault proxies, which only the Redis topology has. */
const onRedisOnly = async (): Promise<string> => {
  throw new Error('link faults are injected on Redis only (its clients each have a fault proxy)');
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the servers of `backend`: one Redis (no persistence, one fault proxy per client slot in front of
 * it), 3 etcd members, 3 ZooKeeper servers.
 */
export async function startTopology(
  backend: Backend,
  ttlMs: number,
  slots: number,
  members: 1 | 3 = 3,
): Promise<Topology> {
  if (backend === 'redis') {
    const server = await startRedis();
    const proxies: FaultProxy[] = [];
    try {
      for (let slot = 0; slot < slots; slot++)
        proxies.push(await FaultProxy.start({ targetPort: server.port }));
    } catch (error) {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await server.close();
      throw error;
    }
    return redisTopology(server, proxies, ttlMs);
  }
  if (backend === 'etcd') {
    const cluster = await startEtcd({ members });
    return etcdTopology(cluster, members, await etcdServerVersion(cluster), ttlMs);
  }
  return zkTopology(await startZooKeeper({ servers: members }), members, ttlMs);
}

function redisTopology(server: RedisServer, proxies: FaultProxy[], ttlMs: number): Topology {
  const config = { url: server.url, ttlMs };
  const proxyOf = (slot: number): FaultProxy => {
    const proxy = proxies[slot];
    if (proxy === undefined) throw new RangeError(`no proxy for client slot ${slot}`);
    return proxy;
  };
  return {
    backend: 'redis',
    members: 1,
    config,
    configFor: (slot) => ({ ...config, url: `redis://127.0.0.1:${proxyOf(slot).port}` }),
    async blackhole(slot, ms) {
      const proxy = proxyOf(slot);
      proxy.blackhole();
      await sleep(ms);
      proxy.reset();
      proxy.pass();
      return `link blackholed ${ms} ms, then reset`;
    },
    async dropReplies(slot, ms) {
      const proxy = proxyOf(slot);
      proxy.blackhole('serverToClient');
      await sleep(ms);
      proxy.reset();
      proxy.pass();
      return `replies dropped ${ms} ms, then link reset`;
    },
    async resetLink(slot) {
      const proxy = proxyOf(slot);
      const open = proxy.stats.activeConnections;
      proxy.reset();
      return `link reset (${open} connections)`;
    },
    async delayReplies(slot, delayMs, forMs) {
      const proxy = proxyOf(slot);
      proxy.delay(delayMs, 'serverToClient');
      await sleep(forMs);
      proxy.pass();
      return `replies delayed ${delayMs} ms for ${forMs} ms`;
    },
    clientModule: clientModule('redis'),
    async crashAndRestart(downMs) {
      await server.kill();
      await sleep(downMs);
      await server.start();
      return `redis kill -9 + restart without persistence (${downMs} ms down)`;
    },
    async pauseLeader(pausedMs) {
      server.pause();
      await sleep(pausedMs);
      server.resume();
      return `redis SIGSTOP ${pausedMs} ms`;
    },
    async leftovers(name) {
      const { createProvider } = await import('@lock/redis');
      const provider = createProvider(config);
      try {
        return listedEntries(await provider.status(name));
      } finally {
        await provider.close();
      }
    },
    async close() {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await server.close();
    },
  };
}

function etcdTopology(
  cluster: EtcdCluster,
  members: number,
  serverVersion: string | undefined,
  ttlMs: number,
): Topology {
  const config = { endpoints: cluster.endpoints, ttlMs };
  return {
    backend: 'etcd',
    members,
    config,
    configFor: () => config,
    blackhole: onRedisOnly,
    resetLink: onRedisOnly,
    dropReplies: onRedisOnly,
    delayReplies: onRedisOnly,
    serverVersion,
    clientModule: clientModule('etcd'),
    async crashAndRestart(downMs) {
      const leader = await cluster.leader();
      await leader.kill();
      await sleep(downMs);
      await leader.start();
      return `etcd leader ${leader.name} kill -9 + restart (${downMs} ms down)`;
    },
    async pauseLeader(pausedMs) {
      const leader = await cluster.leader();
      leader.pause();
      await sleep(pausedMs);
      leader.resume();
      return `etcd leader ${leader.name} SIGSTOP ${pausedMs} ms`;
    },
    async leftovers(name) {
      const { createProvider } = await import('@lock/etcd');
      const provider = createProvider(config);
      try {
        return listedEntries(await provider.status(name));
      } finally {
        await provider.close();
      }
    },
    close: () => cluster.close(),
  };
}

function zkTopology(ensemble: ZooKeeperEnsemble, members: number, ttlMs: number): Topology {
  const config = { connectionString: ensemble.connectionString, sessionTimeoutMs: ttlMs };
  return {
    backend: 'zk',
    members,
    config,
    configFor: () => config,
    blackhole: onRedisOnly,
    resetLink: onRedisOnly,
    dropReplies: onRedisOnly,
    delayReplies: onRedisOnly,
    clientModule: clientModule('zk'),
    async crashAndRestart(downMs) {
      const leader = await ensemble.leader();
      await leader.kill();
      await sleep(downMs);
      await leader.start();
      return `zookeeper leader ${leader.id} kill -9 + restart (${downMs} ms down)`;
    },
    async pauseLeader(pausedMs) {
      const leader = await ensemble.leader();
      leader.pause();
      await sleep(pausedMs);
      leader.resume();
      return `zookeeper leader ${leader.id} SIGSTOP ${pausedMs} ms`;
    },
    async leftovers(name) {
      const { createProvider } = await import('@lock/zk');
      const provider = createProvider(config);
      try {
        return listedEntries(await provider.status(name));
      } finally {
        await provider.close();
      }
    },
    close: () => ensemble.close(),
  };
}
