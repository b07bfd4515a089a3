import { InvalidConfigError } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Selector, type SelectorConfig } from '../src/index.js';
import { rendezvousIndex } from '../src/internal.js';

// Growing a sharded entry from two Redis servers to three with a rolling change: clients on the old list, on
// the migration phase (previousClusters) and on the new list, contending for names the change moves.
let servers: RedisServer[];
const OLD = ['a', 'b'];
const NEW = ['a', 'b', 'c'];

beforeAll(async () => {
  servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.close()));
});

function cluster(id: string) {
  return { id, url: servers[NEW.indexOf(id)]!.url };
}

function config(phase: 'old' | 'migrating' | 'new'): SelectorConfig {
  const clusters = (phase === 'old' ? OLD : NEW).map(cluster);
  return {
    backends: {
      shards: {
        kind: 'redis',
        prefix: 'grow:',
        ttlMs: 5_000,
        clusters,
        ...(phase === 'migrating' ? { previousClusters: OLD.map(cluster) } : {}),
      },
    },
    policies: { '*': { backend: 'shards' } },
  };
}

/** Names that adding cluster c moves (to c), and names it leaves where they were. */
const all = Array.from({ length: 200 }, (_, index) => `order:${index}`);
const moved = all.filter((name) => rendezvousIndex(name, NEW) !== rendezvousIndex(name, OLD)).slice(0, 3);
const kept = all.filter((name) => rendezvousIndex(name, NEW) === rendezvousIndex(name, OLD)).slice(0, 3);

interface Outcome {
  overlaps: number;
  sections: number;
  lost: number;
}

/**
 * Clients of the given phases (2 per phase, each with its own selector, so its own connections) run
 * read-sleep-write sections on `names`; a section that starts while another of the same name is inside is an
 * overlap, and an increment it overwrites is lost.
 */
async function contend(
  phases: readonly ('old' | 'migrating' | 'new')[],
  names: readonly string[],
): Promise<Outcome> {
  const selectors = await Promise.all(
    phases.flatMap((phase) => [Selector.create(config(phase)), Selector.create(config(phase))]),
  );
  const inside = new Map<string, number>();
  const counters = new Map<string, number>();
  let overlaps = 0;
  let sections = 0;
  try {
    await Promise.all(
      selectors.map(async (selector, client) => {
        for (let round = 0; round < 12; round += 1) {
          const name = names[(client + round) % names.length]!;
          await selector.lock(name).withLock(
            async () => {
              const now = inside.get(name) ?? 0;
              if (now > 0) overlaps += 1;
              inside.set(name, now + 1);
              const value = counters.get(name) ?? 0;
              await new Promise((resolve) => setTimeout(resolve, 3));
              counters.set(name, value + 1);
              inside.set(name, (inside.get(name) ?? 1) - 1);
              sections += 1;
            },
            { timeoutMs: 20_000 },
          );
        }
      }),
    );
  } finally {
    await Promise.all(selectors.map((selector) => selector.close()));
  }
  const total = [...counters.values()].reduce((sum, value) => sum + value, 0);
  return { overlaps, sections, lost: sections - total };
}

describe('growing a sharded entry: the migration phase', () => {
  it('the test names: some moved to the new cluster, some kept', () => {
    expect(moved).toHaveLength(3);
    expect(kept).toHaveLength(3);
    for (const name of moved) expect(NEW[rendezvousIndex(name, NEW)]).toBe('c');
  });

  it('explain shows which names the change moves, and from where', async () => {
    const selector = await Selector.create(config('migrating'));
    try {
      for (const name of moved) {
        const from = rendezvousIndex(name, OLD);
        expect(selector.explain(name)).toMatchObject({
          cluster: { index: 2, id: 'c' },
          movedFrom: { index: from, id: OLD[from] },
        });
      }
      for (const name of kept) expect(selector.explain(name).movedFrom).toBeUndefined();
    } finally {
      await selector.close();
    }
  });

  it('a migrating client takes a moved name on its old cluster, then on its new one, and releases both', async () => {
    const selector = await Selector.create(config('migrating'));
    const name = moved[0]!;
    const from = servers[NEW.indexOf(OLD[rendezvousIndex(name, OLD)]!)]!;
    const to = servers[2]!;
    try {
      const lease = await selector.lock(name).acquire({ timeoutMs: 5_000 });
      expect(await from.command('EXISTS', `grow:{${name}}`)).toBe(1);
      expect(await to.command('EXISTS', `grow:{${name}}`)).toBe(1);
      expect(lease.held).toBe(true);
      expect(await lease.release()).toBe(true);
      expect(await from.command('EXISTS', `grow:{${name}}`)).toBe(0);
      expect(await to.command('EXISTS', `grow:{${name}}`)).toBe(0);
      // A kept name is one grant on its one cluster, as without a change.
      const keptLease = await selector.lock(kept[0]!).acquire({ timeoutMs: 5_000 });
      const onServers = await Promise.all(
        servers.map((server) => server.command('EXISTS', `grow:{${kept[0]}}`)),
      );
      expect(onServers.reduce((sum: number, found) => sum + Number(found), 0)).toBe(1);
      await keptLease.release();
    } finally {
      await selector.close();
    }
  });

  it('tryAcquire of a moved name held by an old-list client gets null and leaves nothing on the new cluster', async () => {
    const [old, migrating] = await Promise.all([
      Selector.create(config('old')),
      Selector.create(config('migrating')),
    ]);
    const name = moved[1]!;
    try {
      const lease = await old.lock(name).acquire({ timeoutMs: 5_000 });
      expect(await migrating.lock(name).tryAcquire()).toBeNull();
      expect(await servers[2]!.command('EXISTS', `grow:{${name}}`)).toBe(0);
      await lease.release();
      const taken = await migrating.lock(name).tryAcquire();
      expect(taken).not.toBeNull();
      await taken?.release();
    } finally {
      await Promise.all([old.close(), migrating.close()]);
    }
  });

  it('old beside migrating: moved names are never held twice', async () => {
    const outcome = await contend(['old', 'migrating'], moved);
    expect(outcome).toEqual({ overlaps: 0, sections: 48, lost: 0 });
  }, 60_000);

  it('migrating beside new: moved names are never held twice', async () => {
    const outcome = await contend(['migrating', 'new'], moved);
    expect(outcome).toEqual({ overlaps: 0, sections: 48, lost: 0 });
  }, 60_000);

  it('names the change keeps are shared by all three phases', async () => {
    const outcome = await contend(['old', 'migrating', 'new'], kept);
    expect(outcome).toEqual({ overlaps: 0, sections: 72, lost: 0 });
  }, 60_000);

  it('control: skipping the migration phase (old beside new) lets two holders in on moved names', async () => {
    const outcome = await contend(['old', 'new'], moved);
    expect(outcome.sections).toBe(48);
    expect(outcome.overlaps).toBeGreaterThan(0);
  }, 60_000);

  it('previousClusters is checked like clusters, and needs them', async () => {
    const lone = {
      backends: { shards: { kind: 'redis', url: servers[0]!.url, previousClusters: [cluster('a')] } },
    };
    await expect(Selector.create(lone)).rejects.toSatisfy(
      (error: unknown) =>
        InvalidConfigError.isInstance(error) &&
        error.message.includes(
          'backends.shards.previousClusters: expected no previousClusters without a "clusters" list',
        ),
    );
    const disagree = config('migrating');
    (disagree.backends!.shards!.previousClusters as Record<string, unknown>[])[0]!.url = servers[2]!.url;
    await expect(Selector.create(disagree)).rejects.toSatisfy(
      (error: unknown) =>
        InvalidConfigError.isInstance(error) &&
        error.message.includes(
          'backends.shards.previousClusters[0]: expected the settings of clusters[0] (the same cluster id "a")',
        ),
    );
    const bad = config('migrating');
    (bad.backends!.shards!.previousClusters as Record<string, unknown>[])[1]!.url = 42;
    await expect(Selector.create(bad)).rejects.toSatisfy(
      (error: unknown) =>
        InvalidConfigError.isInstance(error) &&
        error.message.includes('backends.shards.previousClusters[1].url'),
    );
  });
});
