import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BackendKind,
  InvalidArgumentError,
  LockBackendError,
  NoBackendSatisfiesError,
  ProviderClosedError,
  UnsupportedCapabilityError,
} from '@lock/core';
import { describe, expect, it } from 'vitest';
import { Selector, type SelectorConfig } from '../src/index.js';
import { rendezvousIndex } from '../src/internal.js';

// A loader that really imports the package, from a directory where nothing is installed: the genuine error.
const missingPackages = (packageName: string) =>
  import(pathToFileURL(join(tmpdir(), 'no-packages-here', packageName, 'index.js')).href);

describe('Selector with the embedded default', () => {
  it('needs no server: process scope gets the in-process mutex', async () => {
    const selector = await Selector.create();
    const explanation = selector.explain('counter');
    expect(explanation.policy).toBe('*');
    expect(explanation.chosen).toBe('mutex');
    const lock = selector.lock('counter');
    expect(lock.capabilities.backend).toBe('mutex');
    let inside = 0;
    let overlaps = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        lock.withLock(async () => {
          inside += 1;
          if (inside > 1) overlaps += 1;
          await new Promise((resolve) => setTimeout(resolve, 1));
          inside -= 1;
        }),
      ),
    );
    expect(overlaps).toBe(0);
    const first = await lock.acquire();
    await first.release();
    const second = await selector.lock('counter').acquire();
    expect(second.token > first.token).toBe(true);
    await second.release();
    await selector.close();
  });

  it('every process of the host gets the kernel file lock, with no server and no configuration', async () => {
    const selector = await Selector.create();
    const explanation = selector.explain('nightly', { scope: 'host' });
    expect(explanation.chosen).toBe('file');
    const lock = await selector.open('nightly', undefined, { scope: 'host' });
    expect(lock.capabilities).toMatchObject({ backend: 'file', scope: 'host' });
    const lease = await lock.acquire();
    expect(await lock.tryAcquire()).toBeNull();
    await lease.release();
    await selector.close();
  });

  it('worker threads get the shared-memory mutex, whose table can be posted to workers', async () => {
    const selector = await Selector.create({ policies: { '*': { scope: 'threads' } } });
    const explanation = selector.explain('jobs');
    expect(explanation.chosen).toBe('shared-mutex');
    const trylock = explanation.candidates.find((candidate) => candidate.backend === 'trylock')!;
    expect(trylock.reasons).toContain('cannot wait in line (waiting: none), blocking required');
    const lock = selector.lock('jobs');
    expect(lock.capabilities.backend).toBe('shared-mutex');
    const lease = await lock.acquire();
    expect(await lock.tryAcquire()).toBeNull();
    await lease.release();
    const provider = (await selector.providerFor('jobs')) as unknown as { handle: { buffer: unknown } };
    expect(provider.handle.buffer).toBeInstanceOf(SharedArrayBuffer);
    await selector.close();
  });

  it('a policy pinned to the trylock preempts with it', async () => {
    const selector = await Selector.create({ policies: { '*': { blocking: false, backend: 'trylock' } } });
    const explanation = selector.explain('slot');
    expect(explanation.chosen).toBe('trylock');
    const lock = selector.lock('slot');
    expect(lock.capabilities.backend).toBe('trylock');
    const lease = await lock.tryAcquire();
    expect(lease).not.toBeNull();
    expect(await lock.tryAcquire()).toBeNull();
    await lease!.release();
    await selector.close();
  });

  it('refuses a cluster need with no server configured, naming the need and the kinds that would fit', async () => {
    const selector = await Selector.create();
    const needs = { scope: 'cluster', durability: 'consensus' } as const;
    // The synchronous lock() judges the kinds at hand; it says which it could not judge.
    expect(() => selector.lock('orders:1', undefined, needs)).toThrow(/not judged \(not loaded\): redis/);
    const caught = await selector.open('orders:1', undefined, needs).catch((error: unknown) => error);
    expect(NoBackendSatisfiesError.isInstance(caught)).toBe(true);
    const error = caught as NoBackendSatisfiesError;
    expect(error.unmet).toContain('scope >= cluster');
    expect(error.unmet).toContain('durability >= consensus');
    expect(error.message).toMatch(/mutex: scope process < cluster required/);
    expect(error.message).toMatch(
      /etcd \(npm install @lock\/etcd etcd3\) or zk \(npm install @lock\/zk zookeeper\)/,
    );
    await selector.close();
  });

  it('explains every candidate with a reason, and never does I/O to do it', async () => {
    // Nothing listens on port 1: explaining must not connect.
    const selector = await Selector.create({
      backends: {
        cache: { kind: 'redis', url: 'redis://127.0.0.1:1' },
        coord: { kind: 'etcd', endpoints: ['http://127.0.0.1:1'] },
      },
      policies: { '*': { scope: 'cluster' }, 'orders:*': { scope: 'cluster', durability: 'consensus' } },
    });
    const orders = selector.explain('orders:1');
    expect(orders.chosen).toBe('coord');
    expect(orders.candidates.map((candidate) => candidate.backend)).toEqual([
      'coord',
      'mutex',
      'shared-mutex',
      'trylock',
      'file',
      'cache',
    ]);
    const cache = orders.candidates.find((candidate) => candidate.backend === 'cache')!;
    expect(cache.reasons).toEqual(['durability single-node < consensus required']);
    const mutex = orders.candidates.find((candidate) => candidate.backend === 'mutex')!;
    expect(mutex.reasons).toContain('scope process < cluster required');
    const file = orders.candidates.find((candidate) => candidate.backend === 'file')!;
    expect(file.reasons).toContain('scope host < cluster required');
    const other = selector.explain('users:1');
    expect(other.chosen).toBe('cache');
    expect(other.candidates[1]).toMatchObject({ backend: 'coord', qualifies: true, chosen: false });
    expect(other.candidates[1]!.reasons[0]).toBe('qualifies, ranked 2: heavier machinery (consensus)');
    await selector.close();
  });
});

describe('Selector startup checks', () => {
  it('fails at startup when a policy has no backend, before any lock is asked for', async () => {
    const config: SelectorConfig = {
      backends: { cache: { kind: 'redis', url: 'redis://127.0.0.1:1' } },
      policies: { 'orders:*': { scope: 'cluster', durability: 'consensus', fencing: true }, '*': {} },
    };
    const failure = await Selector.create(config).catch((error: unknown) => error);
    expect(NoBackendSatisfiesError.isInstance(failure)).toBe(true);
    const error = failure as NoBackendSatisfiesError;
    expect(error.lockName).toBe('policy orders:*');
    expect(error.unmet).toEqual(['durability >= consensus']);
    expect(error.candidates.find((candidate) => candidate.backend === 'cache')!.reasons).toEqual([
      'durability single-node < consensus required',
    ]);
    expect(error.message).toMatch(/cache: durability single-node < consensus required/);
  });

  it('reports a configured backend whose package is missing with the install command', async () => {
    const failure = await Selector.create(
      { backends: { coord: { kind: 'etcd', endpoints: ['http://127.0.0.1:1'] } }, policies: { '*': {} } },
      { loadModule: missingPackages },
    ).catch((error: unknown) => error);
    expect(LockBackendError.isInstance(failure)).toBe(true);
    expect((failure as LockBackendError).operation).toBe('load');
    expect((failure as Error).message).toMatch(
      /backends\.coord: package @lock\/etcd is not installed; install it with: npm install @lock\/etcd etcd3/,
    );
  });

  it('a backend package whose client is missing names the client', async () => {
    // As when @lock/etcd is installed but its import of its client fails.
    const client: string = 'etcd3-not-installed-here';
    const failure = await Selector.create(
      { backends: { coord: { kind: 'etcd', endpoints: ['http://127.0.0.1:1'] } }, policies: { '*': {} } },
      {
        loadModule: (packageName) => (packageName === '@lock/etcd' ? import(client) : import(packageName)),
      },
    ).catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(
      /backends\.coord: package @lock\/etcd needs etcd3-not-installed-here, which is not installed; install them with: npm install @lock\/etcd etcd3/,
    );
  });

  it('a missing built-in package only removes that candidate, with the reason', async () => {
    const failure = await Selector.create(undefined, { loadModule: missingPackages }).catch(
      (error: unknown) => error,
    );
    expect(NoBackendSatisfiesError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/mutex: not installed \(npm install @lock\/mutex\)/);
  });

  it('rejects a bad configuration with the JSON path of the field', async () => {
    const failure = await Selector.create({
      backends: { orders: { kind: 'redis', url: 42 as unknown as string } },
    }).catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(failure)).toBe(true);
    expect((failure as InvalidArgumentError).parameter).toBe('backends.orders.url');
    expect((failure as Error).message).toBe(
      'Invalid configuration: backends.orders.url: expected a redis://host:port URL (or rediss://, or host:port), received 42',
    );
  });

  it('a name that no policy matches is an error, not a silent default', async () => {
    const selector = await Selector.create({ policies: { 'orders:*': {} } });
    expect(() => selector.lock('users:1')).toThrow(InvalidArgumentError);
    expect(() => selector.explain('users:1')).toThrow(/add a "\*" policy/);
    expect(selector.explain('orders:1').policy).toBe('orders:*');
    await selector.close();
  });

  it('the most specific policy wins', async () => {
    const selector = await Selector.create({
      policies: { '*': {}, 'jobs:*': { blocking: false }, 'jobs:urgent:*': {}, 'jobs:x': {} },
    });
    expect(selector.explain('jobs:1').policy).toBe('jobs:*');
    expect(selector.explain('jobs:urgent:1').policy).toBe('jobs:urgent:*');
    expect(selector.explain('jobs:x').policy).toBe('jobs:x');
    expect(selector.explain('other').policy).toBe('*');
    await selector.close();
  });

  it('a policy pinned to a backend that cannot meet it fails at startup', async () => {
    const failure = await Selector.create({
      policies: { '*': { scope: 'threads', backend: 'mutex' } },
    }).catch((error: unknown) => error);
    expect(NoBackendSatisfiesError.isInstance(failure)).toBe(true);
  });
});

describe('Selector sharding and life cycle', () => {
  const sharded: SelectorConfig = {
    backends: {
      shards: {
        kind: 'redis',
        clusters: [
          { url: 'redis://127.0.0.1:7001' },
          { url: 'redis://127.0.0.1:7002' },
          { id: 'c', url: 'redis://127.0.0.1:7003' },
        ],
      },
    },
    policies: { '*': { scope: 'cluster' } },
  };

  it('maps each name to one cluster by rendezvous hashing over the cluster ids', async () => {
    const selector = await Selector.create(sharded);
    const ids = ['redis://127.0.0.1:7001', 'redis://127.0.0.1:7002', 'c'];
    for (const name of ['a', 'b', 'orders:1', 'orders:2', 'orders:3']) {
      const explanation = selector.explain(name);
      expect(explanation.chosen).toBe('shards');
      expect(explanation.cluster).toEqual({
        index: rendezvousIndex(name, ids),
        id: ids[rendezvousIndex(name, ids)],
      });
    }
    await selector.close();
  });

  it('a fencing policy refuses a sharded entry unless it opts in with stableShards, and explain() says why', async () => {
    const fencing: SelectorConfig = {
      ...sharded,
      builtins: false,
      policies: { '*': { scope: 'cluster', fencing: true } },
    };
    const refused = await Selector.create(fencing).catch((error: unknown) => error);
    expect(NoBackendSatisfiesError.isInstance(refused)).toBe(true);
    expect((refused as NoBackendSatisfiesError).unmet).toEqual(['fencing']);
    expect((refused as Error).message).toMatch(
      /shards: fencing tokens of the 3 clusters are not comparable \(a name moved by a cluster-list change gets lower tokens\)/,
    );
    // explain() gives the same reason, for a tool that does not check at startup.
    const unchecked = await Selector.create(fencing, { check: false });
    const explanation = unchecked.explain('orders:1');
    expect(explanation.chosen).toBeUndefined();
    expect(explanation.candidates.find((item) => item.backend === 'shards')!.reasons.join('\n')).toMatch(
      /set "stableShards": true once such changes are drained or move the fence/,
    );
    expect(() => unchecked.lock('orders:1')).toThrow(NoBackendSatisfiesError);
    await unchecked.close();

    const optedIn = await Selector.create({
      ...fencing,
      backends: { shards: { ...sharded.backends!.shards!, stableShards: true } },
    });
    const accepted = optedIn.explain('orders:1');
    expect(accepted.chosen).toBe('shards');
    expect(accepted.candidates[0]!.reasons).toContain(
      'fencing token per cluster (stableShards): tokens of the 3 clusters are not comparable; drain or move the fence of names a cluster-list change moves',
    );
    await optedIn.close();
  });

  it('throughput needs count every cluster of a sharded backend', async () => {
    const selector = await Selector.create({
      backends: {
        one: {
          kind: 'redis',
          url: 'redis://127.0.0.1:7001',
          profile: { acquireReleaseP50Ms: 0.2, opsPerSec: 5000 },
        },
        two: { ...sharded.backends!.shards!, profile: { acquireReleaseP50Ms: 0.2, opsPerSec: 5000 } },
      },
      policies: { '*': { scope: 'cluster', minOpsPerSec: 12_000 } },
    });
    const explanation = selector.explain('x');
    expect(explanation.chosen).toBe('two');
    expect(explanation.candidates[0]!.reasons).toContain(
      'throughput 15,000 ops/s over 3 clusters >= 12,000 ops/s (declared)',
    );
    await selector.close();
  });

  it('after close, lock() throws ProviderClosedError; close is idempotent', async () => {
    const selector = await Selector.create();
    const lease = await selector.lock('a').acquire();
    await selector.close();
    expect(lease.signal.aborted).toBe(true);
    expect(() => selector.lock('a')).toThrow(ProviderClosedError);
    await expect(selector.close()).resolves.toBeUndefined();
  });

  it('status() says when a backend cannot tell', async () => {
    const selector = await Selector.create();
    await expect(selector.status('a')).rejects.toSatisfy(UnsupportedCapabilityError.isInstance);
    await selector.close();
  });
});

describe('calibration', () => {
  it('measures the in-process backends', async () => {
    const selector = await Selector.create();
    const results = await selector.calibrate({ rounds: 50 });
    expect(results.map((result) => result.backend).sort()).toEqual(
      selector.candidates
        .filter((candidate) => !candidate.unavailable)
        .map((candidate) => candidate.name)
        .sort(),
    );
    for (const result of results) {
      expect(result.rounds).toBe(50);
      expect(result.acquireReleaseP50Ms).toBeGreaterThan(0);
      expect(result.opsPerSec).toBeGreaterThan(0);
    }
    await selector.close();
  });

  it('fails when the measured figures miss a need of the chosen backend, without switching backends', async () => {
    const selector = await Selector.create({
      builtins: false,
      backends: { local: { kind: 'mutex', profile: { acquireReleaseP50Ms: 1e-9, opsPerSec: 1e12 } } },
      policies: { '*': { maxLatencyMs: 2e-9 } },
    });
    const failure = await selector.calibrate({ rounds: 20 }).catch((error: unknown) => error);
    expect(NoBackendSatisfiesError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toMatch(
      /local: measured by calibrate\(\); p50 .* > .* allowed \(calibration\)/,
    );
    // Without apply the declared figures still drive the choice.
    expect(selector.explain('x').chosen).toBe('local');
    await selector.close();
  });

  it('apply: true selects by the measured figures from then on', async () => {
    const selector = await Selector.create({
      builtins: false,
      backends: { local: { kind: 'mutex', profile: { acquireReleaseP50Ms: 1, opsPerSec: 10 } } },
      policies: { '*': {} },
    });
    await selector.calibrate({ rounds: 20, apply: true });
    expect(selector.candidates[0]!.profile?.source).toBe('calibration');
    expect(selector.candidates[0]!.profile!.opsPerSec).toBeGreaterThan(10);
    await selector.close();
  });
});

describe('cluster settings', () => {
  it('each cluster gets the entry settings it does not set itself, and its own address', async () => {
    const received: Array<Record<string, unknown>> = [];
    const fakeModule = fileURLToPath(new URL('./fixtures/fake-kind/index.mjs', import.meta.url));
    const { fakeKind } = (await import(fakeModule)) as { fakeKind: BackendKind };
    const recording = {
      ...fakeKind,
      // Records what the kind's factory is handed.
      createProvider: (settings: Record<string, unknown>) => {
        received.push(settings);
        return fakeKind.createProvider(settings);
      },
    };
    const selector = await Selector.create(
      {
        backends: {
          shards: {
            kind: 'fake',
            package: 'recording-kind',
            replicas: 1,
            ttlMs: 5000,
            clusters: [{ address: 'fake://7001' }, { address: 'fake://7002', replicas: 2 }],
          },
        },
        policies: { '*': {} },
        builtins: false,
      },
      { loadModule: async () => ({ kinds: [recording] }) },
    );
    const ids = ['fake://7001', 'fake://7002'];
    const first = Array.from({ length: 50 }, (_, index) => `n${index}`).find(
      (name) => rendezvousIndex(name, ids) === 0,
    )!;
    const second = Array.from({ length: 50 }, (_, index) => `n${index}`).find(
      (name) => rendezvousIndex(name, ids) === 1,
    )!;
    await (await selector.open(first)).acquire().then((lease) => lease.release());
    await (await selector.open(second)).acquire().then((lease) => lease.release());
    expect(received).toEqual([
      { address: 'fake://7001', replicas: 1, ttlMs: 5000 },
      { address: 'fake://7002', replicas: 2, ttlMs: 5000 },
    ]);
    await selector.close();
  });
});
