import { type BackendKind, parseSettings } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { type CandidateBackend, KIND_CATALOG, type LockNeeds } from '../src/index.js';
import { combineNeeds, rankCandidates, resolveNeeds } from '../src/internal.js';

// The real kinds, from their own packages: the rule table below judges what each kind declares.
const kinds = new Map<string, BackendKind>();
for (const [kind, { packageName }] of Object.entries(KIND_CATALOG)) {
  const module = (await import(packageName)) as { kinds: BackendKind[] };
  kinds.set(kind, module.kinds.find((candidate) => candidate.kind === kind)!);
}

/** A candidate as the selector builds it from a config entry of this kind and these settings. */
function candidate(
  name: string,
  kindName: string,
  settings: Record<string, unknown> = {},
  extra: { p50?: number; ops?: number; clusters?: number; stableShards?: boolean; unavailable?: string } = {},
): CandidateBackend {
  const kind = kinds.get(kindName)!;
  return {
    name,
    kind: kindName,
    builtin: kindName === name,
    capabilities: kind.capabilities(parseSettings(kind.settings, settings, name) as never),
    profile:
      extra.p50 === undefined
        ? kind.defaultProfile
        : { acquireReleaseP50Ms: extra.p50, opsPerSec: extra.ops ?? 1000, source: 'declared' },
    clusters: extra.clusters ?? 1,
    stableShards: extra.stableShards,
    unavailable: extra.unavailable,
  };
}

const builtins = [
  candidate('mutex', 'mutex'),
  candidate('shared-mutex', 'shared-mutex'),
  candidate('trylock', 'trylock'),
];
const redisSettings = { url: 'redis://127.0.0.1:6379' };
const etcdSettings = { endpoints: ['http://127.0.0.1:2379'] };
const redis = candidate('cache', 'redis', redisSettings);
const redisReplicated = candidate('cache-ha', 'redis', { url: 'redis://127.0.0.1:6380', waitReplicas: 1 });
const redlock = candidate('quorum', 'redlock', {
  endpoints: ['redis://127.0.0.1:7001', 'redis://127.0.0.1:7002', 'redis://127.0.0.1:7003'],
});
const etcd = candidate('coord', 'etcd', etcdSettings);
const zk = candidate('zoo', 'zk', { connectionString: '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183' });
const zkStandalone = candidate('zoo1', 'zk', { connectionString: '127.0.0.1:2181' });

interface Case {
  title: string;
  needs: LockNeeds;
  backends: CandidateBackend[];
  chosen?: string;
  unmet?: string[];
  refusal?: [string, string];
}

// The advice on choosing a lock, as a table: needs x configured backends -> choice or refusal.
const cases: Case[] = [
  {
    title: 'one process: the in-process mutex',
    needs: {},
    backends: [...builtins, redis, etcd],
    chosen: 'mutex',
  },
  {
    title: 'worker threads: the shared-memory mutex',
    needs: { scope: 'threads' },
    backends: [...builtins, redis],
    chosen: 'shared-mutex',
  },
  {
    title: 'one process, preempt: the mutex (its tryAcquire) measures faster than the trylock adapter',
    needs: { blocking: false },
    backends: builtins,
    chosen: 'mutex',
  },
  {
    title: 'blocking: trylock refused',
    needs: {},
    backends: [builtins[2]!],
    unmet: ['blocking'],
    refusal: ['trylock', 'cannot wait in line (waiting: none), blocking required'],
  },
  {
    title: 'threads, preempt: the trylock (one table for the process, never waits)',
    needs: { scope: 'threads', blocking: false },
    backends: builtins,
    chosen: 'trylock',
  },
  {
    title: 'cluster, losing a lock on failure is fine: redis over etcd',
    needs: { scope: 'cluster' },
    backends: [...builtins, etcd, redis],
    chosen: 'cache',
  },
  {
    title: 'cluster, single-node durability: redis',
    needs: { scope: 'cluster', durability: 'single-node' },
    backends: [...builtins, zk, redis],
    chosen: 'cache',
  },
  {
    title: 'cluster, must survive a failover: consensus',
    needs: { scope: 'cluster', durability: 'consensus' },
    backends: [...builtins, redis, etcd],
    chosen: 'coord',
    refusal: ['cache', 'durability single-node < consensus required'],
  },
  {
    title: 'consensus: zk or etcd, the faster by profile',
    needs: { scope: 'cluster', durability: 'consensus' },
    backends: [etcd, zk],
    chosen: 'zoo',
  },
  {
    title: 'consensus with only redis: error naming durability',
    needs: { scope: 'cluster', durability: 'consensus' },
    backends: [...builtins, redis, redisReplicated],
    unmet: ['durability >= consensus'],
  },
  {
    title: 'replicated-async: redis with WAIT qualifies, plain redis does not',
    needs: { scope: 'cluster', durability: 'replicated-async' },
    backends: [redis, redisReplicated],
    chosen: 'cache-ha',
    refusal: ['cache', 'durability single-node < replicated-async required'],
  },
  {
    title: 'fencing: redlock refused, redis taken',
    needs: { scope: 'cluster', durability: 'replicated-async', fencing: true },
    backends: [redlock, redisReplicated],
    chosen: 'cache-ha',
    refusal: ['quorum', 'no monotonic fencing token, fencing required'],
  },
  {
    title: 'fencing with only redlock: error',
    needs: { scope: 'cluster', fencing: true },
    backends: [redlock],
    unmet: ['fencing'],
  },
  {
    title: 'redlock never waits: refused for blocking needs',
    needs: { scope: 'cluster' },
    backends: [redlock],
    unmet: ['blocking'],
  },
  {
    title: 'redlock serves a preempting grab when replication suffices',
    needs: { scope: 'cluster', durability: 'replicated-async', blocking: false },
    backends: [redlock, etcd],
    chosen: 'quorum',
  },
  {
    title: 'a standalone zookeeper is a single node, not consensus',
    needs: { scope: 'cluster', durability: 'consensus' },
    backends: [zkStandalone, etcd],
    chosen: 'coord',
    refusal: ['zoo1', 'durability single-node < consensus required'],
  },
  {
    title: 'process scope with no builtins: a cluster lock still covers it',
    needs: {},
    backends: [etcd, redis],
    chosen: 'cache',
  },
  {
    title: 'cluster with only builtins: error naming scope',
    needs: { scope: 'cluster' },
    backends: builtins,
    unmet: ['scope >= cluster'],
    refusal: ['mutex', 'scope process < cluster required'],
  },
  {
    title: 'latency bound refuses the consensus stores',
    needs: { scope: 'cluster', maxLatencyMs: 1 },
    backends: [etcd, zk, redis],
    chosen: 'cache',
    refusal: ['coord', 'p50 3.5 ms > 1 ms allowed (declared)'],
  },
  {
    title: 'latency bound nobody meets',
    needs: { scope: 'cluster', durability: 'consensus', maxLatencyMs: 1 },
    backends: [etcd, zk],
    unmet: ['p50 <= 1 ms'],
  },
  {
    title: 'durability and latency failed by different backends: their combination is unmet',
    needs: { scope: 'cluster', durability: 'consensus', maxLatencyMs: 1 },
    backends: [etcd, redis],
    unmet: ['p50 <= 1 ms', 'durability >= consensus'],
  },
  {
    title: 'throughput: one etcd is not enough',
    needs: { scope: 'cluster', durability: 'consensus', minOpsPerSec: 500 },
    backends: [etcd],
    unmet: ['>= 500 ops/s'],
    refusal: ['coord', 'throughput 280 ops/s < 500 ops/s required (declared)'],
  },
  {
    title: 'throughput: three etcd clusters sharded are',
    needs: { scope: 'cluster', durability: 'consensus', minOpsPerSec: 500 },
    backends: [etcd, candidate('coord3', 'etcd', etcdSettings, { clusters: 3 })],
    chosen: 'coord3',
  },
  {
    title: 'fencing: sharded etcd is refused, its clusters count tokens apart (no opt-in)',
    needs: { scope: 'cluster', durability: 'consensus', fencing: true },
    backends: [candidate('coord3', 'etcd', etcdSettings, { clusters: 3 })],
    unmet: ['fencing'],
    refusal: [
      'coord3',
      'fencing tokens of the 3 clusters are not comparable (a name moved by a cluster-list change gets lower tokens), fencing required; set "stableShards": true once such changes are drained or move the fence',
    ],
  },
  {
    title: 'fencing: an unsharded etcd is chosen over a sharded one without the opt-in',
    needs: { scope: 'cluster', durability: 'consensus', fencing: true },
    backends: [candidate('coord3', 'etcd', etcdSettings, { clusters: 3 }), etcd],
    chosen: 'coord',
  },
  {
    title: 'fencing: a sharded entry with stableShards qualifies',
    needs: { scope: 'cluster', durability: 'consensus', fencing: true },
    backends: [candidate('coord3', 'etcd', etcdSettings, { clusters: 3, stableShards: true })],
    chosen: 'coord3',
  },
  {
    title: 'no fencing need: a sharded entry qualifies without the opt-in',
    needs: { scope: 'cluster', durability: 'consensus' },
    backends: [candidate('coord3', 'etcd', etcdSettings, { clusters: 3 })],
    chosen: 'coord3',
  },
  {
    title: 'declared profile overrides the kind default',
    needs: { scope: 'cluster', maxLatencyMs: 0.5 },
    backends: [
      candidate('far', 'redis', redisSettings, { p50: 2 }),
      candidate('near', 'redis', redisSettings, { p50: 0.3 }),
    ],
    chosen: 'near',
  },
  {
    title: 'equal candidates keep configuration order',
    needs: { scope: 'cluster' },
    backends: [
      candidate('a', 'redis', redisSettings, { p50: 1 }),
      candidate('b', 'redis', redisSettings, { p50: 1 }),
    ],
    chosen: 'a',
  },
  {
    title: 'preempt with process scope: an in-process lock is lighter than a cluster lock',
    needs: { blocking: false },
    backends: [redis, ...builtins],
    chosen: 'mutex',
  },
  {
    title: 'an uninstalled candidate is refused with the install command',
    needs: {},
    backends: [
      candidate('mutex', 'mutex', {}, { unavailable: 'not installed (npm install @lock/mutex)' }),
      redis,
    ],
    chosen: 'cache',
    refusal: ['mutex', 'not installed (npm install @lock/mutex)'],
  },
];

describe('selection rules', () => {
  it.each(cases)('$title', (testCase) => {
    const ranked = rankCandidates(resolveNeeds(testCase.needs), testCase.backends);
    expect(ranked).toHaveLength(testCase.backends.length);
    if (testCase.chosen !== undefined) {
      expect(ranked[0]!.backend).toBe(testCase.chosen);
      expect(ranked[0]!.chosen).toBe(true);
      expect(ranked[0]!.reasons[0]).toMatch(/^chosen: /);
      expect(ranked.filter((report) => report.chosen)).toHaveLength(1);
    } else {
      expect(ranked.every((report) => !report.qualifies && !report.chosen)).toBe(true);
      const unmet = new Set(ranked.flatMap((report) => report.unmet));
      for (const need of testCase.unmet!) expect(unmet).toContain(need);
    }
    if (testCase.refusal !== undefined) {
      const [backend, reason] = testCase.refusal;
      const report = ranked.find((item) => item.backend === backend)!;
      expect(report.qualifies).toBe(false);
      expect(report.reasons).toContain(reason);
    }
    // Qualifying candidates always come before refused ones.
    const firstRefused = ranked.findIndex((report) => !report.qualifies);
    if (firstRefused >= 0) expect(ranked.slice(firstRefused).every((report) => !report.qualifies)).toBe(true);
  });

  it('a pinned backend is the only candidate, and it must still meet the needs', () => {
    const needs = resolveNeeds({ scope: 'cluster', durability: 'consensus' });
    const pinnedOk = rankCandidates(needs, [zk, etcd], 'coord');
    expect(pinnedOk[0]!.backend).toBe('coord');
    expect(pinnedOk.find((report) => report.backend === 'zoo')!.reasons).toEqual([
      'the policy pins backend "coord"',
    ]);
    const pinnedWeak = rankCandidates(needs, [redis, etcd], 'cache');
    expect(pinnedWeak.some((report) => report.chosen)).toBe(false);
  });

  it('qualifying runners-up say why they ranked lower', () => {
    const ranked = rankCandidates(resolveNeeds({ scope: 'cluster' }), [etcd, redis]);
    expect(ranked.map((report) => report.backend)).toEqual(['cache', 'coord']);
    expect(ranked[1]!.reasons[0]).toBe('qualifies, ranked 2: heavier machinery (consensus)');
  });

  it('extra needs combine with the policy: the stricter of each wins', () => {
    const base = resolveNeeds({
      scope: 'threads',
      durability: 'single-node',
      maxLatencyMs: 5,
      minOpsPerSec: 10,
    });
    const combined = combineNeeds(base, {
      scope: 'cluster',
      durability: 'memory',
      fencing: true,
      maxLatencyMs: 9,
      minOpsPerSec: 20,
      blocking: false,
    });
    expect(combined).toEqual({
      scope: 'cluster',
      durability: 'single-node',
      fencing: true,
      blocking: false,
      maxLatencyMs: 5,
      minOpsPerSec: 20,
      mode: 'exclusive',
      permits: undefined,
    });
    expect(combineNeeds(base, undefined)).toBe(base);
    // Shared wins over exclusive; permits come from whichever gives them (and must agree when both do).
    expect(combineNeeds(resolveNeeds({ permits: 3 }), { mode: 'shared' })).toMatchObject({
      mode: 'shared',
      permits: 3,
    });
    expect(combineNeeds(resolveNeeds({ mode: 'shared' }), { permits: 2 })).toMatchObject({
      mode: 'shared',
      permits: 2,
    });
    expect(() => combineNeeds(resolveNeeds({ permits: 3 }), { permits: 4 })).toThrow(
      /the policy's 3 permits/,
    );
  });
});
