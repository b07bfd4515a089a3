import { InvalidConfigError } from '@lock/core';
import { RedisProvider } from '@lock/redis';
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

function config(phase: 'old' | 'migrating' | 'new', prefix = 'grow:'): SelectorConfig {
  const clusters = (phase === 'old' ? OLD : NEW).map(cluster);
  return {
    backends: {
      shards: {
        kind: 'redis',
        prefix,
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
  /** Writes a fenced resource refused: a token not above the name's newest one. */
  stale: number;
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
  const fences = new Map<string, bigint>();
  let stale = 0;
  let overlaps = 0;
  let sections = 0;
  try {
    await Promise.all(
      selectors.map(async (selector, client) => {
        for (let round = 0; round < 12; round += 1) {
          const name = names[(client + round) % names.length]!;
          await selector.lock(name).withLock(
            async (lease) => {
              // The guarded resource fences every write: a token not above the newest it saw is refused.
              if (lease.token <= (fences.get(name) ?? -1n)) stale += 1;
              else fences.set(name, lease.token);
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
  return { overlaps, sections, lost: sections - total, stale };
}

/**
 * One grant after another of `name` by clients of each phase, in an order a rolling change allows (old and
 * migrating side by side, then migrating and new): the tokens they got, in grant order. The new cluster's
 * counter starts from its own clock-seeded value, above the old cluster's (first used earlier), so only a
 * fence that moves both ways keeps the sequence increasing.
 */
async function phaseSequence(name: string, prefix = 'seq:'): Promise<bigint[]> {
  const order = ['old', 'migrating', 'old', 'migrating', 'new', 'migrating', 'new'] as const;
  const byPhase = {
    old: await Selector.create(config('old', prefix)),
    migrating: await Selector.create(config('migrating', prefix)),
    new: await Selector.create(config('new', prefix)),
  };
  try {
    // The old cluster's counter is older (and lower) than the new one's: a first grant there, a second later.
    const first = await byPhase.old.lock(name).acquire({ timeoutMs: 5_000 });
    await first.release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const tokens: bigint[] = [first.token];
    for (const phase of order) {
      const lease = await byPhase[phase].lock(name).acquire({ timeoutMs: 5_000 });
      tokens.push(lease.token);
      await lease.release();
    }
    return tokens;
  } finally {
    await Promise.all(Object.values(byPhase).map((selector) => selector.close()));
  }
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
    expect(outcome).toEqual({ overlaps: 0, sections: 48, lost: 0, stale: 0 });
  }, 60_000);

  it('migrating beside new: moved names are never held twice', async () => {
    const outcome = await contend(['migrating', 'new'], moved);
    expect(outcome).toEqual({ overlaps: 0, sections: 48, lost: 0, stale: 0 });
  }, 60_000);

  it('names the change keeps are shared by all three phases', async () => {
    const outcome = await contend(['old', 'migrating', 'new'], kept);
    expect(outcome).toEqual({ overlaps: 0, sections: 72, lost: 0, stale: 0 });
  }, 60_000);

  it('control: skipping the migration phase (old beside new) lets two holders in on moved names', async () => {
    const outcome = await contend(['old', 'new'], moved);
    expect(outcome.sections).toBe(48);
    expect(outcome.overlaps).toBeGreaterThan(0);
  }, 60_000);

  it('the fence moves with the name: tokens increase across old, migrating and new clients in any order', async () => {
    const tokens = await phaseSequence(moved[2]!);
    for (let index = 1; index < tokens.length; index += 1)
      expect(tokens[index]).toBeGreaterThan(tokens[index - 1]!);
  }, 60_000);

  it('control: without raising the fence counters, the same sequence goes back in tokens', async () => {
    const raise = Object.getOwnPropertyDescriptor(RedisProvider.prototype, 'raiseFence')!;
    Reflect.deleteProperty(RedisProvider.prototype, 'raiseFence');
    try {
      const tokens = await phaseSequence(`${moved[2]!}`, 'unfenced:');
      const regressions = tokens.filter((token, index) => index > 0 && token <= tokens[index - 1]!);
      expect(regressions.length).toBeGreaterThan(0);
    } finally {
      Object.defineProperty(RedisProvider.prototype, 'raiseFence', raise);
    }
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
