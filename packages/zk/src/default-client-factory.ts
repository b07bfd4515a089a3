import type { ZooKeeperClient, ZooKeeperClientFactory } from './zookeeper-client.js';

/** The default factory: loads the `zookeeper` peer dependency on first use. */
export const defaultClientFactory: ZooKeeperClientFactory = async (settings) => {
  const loaded = (await import('zookeeper')) as unknown as { default?: unknown };
  const ZooKeeper = (loaded.default ?? loaded) as new (config: Record<string, unknown>) => ZooKeeperClient;
  return new ZooKeeper({
    connect: settings.connect,
    timeout: settings.timeout,
    // The C client's own log goes to stderr; errors surface through return codes instead.
    debug_level: Number(process.env.LOCK_ZK_DEBUG ?? 0),
    host_order_deterministic: false,
  });
};
