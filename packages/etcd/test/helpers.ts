import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EtcdCluster, startEtcd } from '@lock/testkit';
import { LineChild as Child } from '@lock/testkit/servers';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll } from 'vitest';
import { EtcdProvider, etcdClientOptions } from '../src/index.js';

/** What {@link useEtcd} gives a test file: read its fields inside tests (they are set before the first). */
export interface EtcdForFile {
  /** A single-member etcd, started before the file's tests and stopped after them. */
  readonly cluster: EtcdCluster;
  /** A client on it, for inspecting and disturbing etcd from outside the providers. */
  readonly admin: Etcd3;
  /** A provider on the admin client (10 s session TTL unless given), closed after the file's tests. */
  provider(options?: { ttlMs?: number; prefix?: string }): EtcdProvider;
  /** Closes `provider` after the file's tests; returns it. */
  track(provider: EtcdProvider): EtcdProvider;
}

/** Starts one etcd member for the calling test file. */
export function useEtcd(): EtcdForFile {
  let cluster: EtcdCluster | undefined;
  let admin: Etcd3 | undefined;
  const providers: EtcdProvider[] = [];
  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
    admin = new Etcd3(etcdClientOptions(cluster.endpoints));
  });
  afterAll(async () => {
    await Promise.allSettled(providers.map((created) => created.close()));
    admin?.close();
    await cluster?.close();
  });
  return {
    get cluster() {
      return cluster as EtcdCluster;
    },
    get admin() {
      return admin as Etcd3;
    },
    provider(options = {}) {
      return this.track(
        new EtcdProvider({ client: admin as Etcd3, ttlMs: options.ttlMs ?? 10_000, prefix: options.prefix }),
      );
    },
    track(provider) {
      providers.push(provider);
      return provider;
    },
  };
}

/**
 * Starts a 3-member etcd with fast elections (100 ms heartbeats, 1 s election timeout) for the calling test
 * file; paused members are resumed before it stops. Read `cluster` inside tests.
 */
export function useEtcdCluster(): { readonly cluster: EtcdCluster } {
  let cluster: EtcdCluster | undefined;
  beforeAll(async () => {
    cluster = await startEtcd({
      members: 3,
      args: ['--heartbeat-interval', '100', '--election-timeout', '1000'],
    });
  });
  afterAll(async () => {
    for (const member of cluster?.members ?? []) if (member.paused) member.resume();
    await cluster?.close();
  });
  return {
    get cluster() {
      return cluster as EtcdCluster;
    },
  };
}

/** Path of a test fixture. */
export function fixture(file: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', file);
}

/** A spawned child whose stdout lines can be awaited (the testkit's, registered with its reaper). */
export { Child };

/** `etcdctl` (API v3) against `endpoints`. */
export function etcdctl(endpoints: string[], args: string[]): Child {
  return new Child('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...args], { ETCDCTL_API: '3' });
}

/** Keys under a lock's prefix: the holder's and the waiters'. */
export async function queueLength(provider: EtcdProvider, name: string): Promise<number> {
  const status = await provider.status(name);
  return status.holders.length + status.waiterCount;
}

/** Polls `check` until it returns true, or throws after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > end) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
