// Many clusters: one backend entry spreads lock names over two independent Redis servers by rendezvous
// hashing. Two selectors stand for two processes of the fleet: each name maps to one cluster, the same in
// both, so the second is refused every name the first holds. `--mismatch` gives the second process a
// different cluster list (a half-finished rollout): names it routes elsewhere are no longer excluded.
import { createSelector } from '@lock/selector';

const urls = (process.env.REDIS_URLS ?? 'redis://127.0.0.1:6379,redis://127.0.0.1:6380').split(',');
const mismatch = process.argv.includes('--mismatch');

function config(clusterUrls) {
  return {
    backends: {
      shards: {
        kind: 'redis',
        clusters: clusterUrls.map((url, index) => ({ id: `shard-${index + 1}`, url })),
      },
    },
    policies: { 'sessions:*': { scope: 'cluster' } },
  };
}

const first = await createSelector(config(urls));
const second = await createSelector(config(mismatch ? urls.slice(0, 1) : urls));
const names = Array.from({ length: 10 }, (_, index) => `sessions:${index + 1}`);
const perCluster = {};
let excluded = 0;
try {
  for (const name of names) {
    const { cluster } = first.explain(name); // no I/O: the route is a function of the name and the config
    perCluster[cluster.id] = (perCluster[cluster.id] ?? 0) + 1;
    console.log(`${name} -> ${cluster.id}`);
    await first.lock(name).withLock(async () => {
      const lease = await second.lock(name).tryAcquire(); // null when held
      if (lease === null) excluded += 1;
      else await lease.release(); // granted although the first holds it: not excluded
    });
  }
  console.log(`names per cluster: ${JSON.stringify(perCluster)}`);
  console.log(`excluded: ${excluded} of ${names.length}`);
} finally {
  await first.close();
  await second.close();
}
