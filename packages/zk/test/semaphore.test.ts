import { type Lease, type Lock, LockTimeoutError, PermitsMismatchError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { ZooKeeperLock, type ZooKeeperProvider } from '../src/index.js';
import { type LockNode, permitMode, type QueueMode, WATCH_QUEUE } from '../src/internal.js';
import { eventually, lockNodes, sleep, spawnHolder, useZooKeeper, watchersByPath } from './support.js';

const zk = useZooKeeper();
// A few sessions for every test (ZooKeeper allows 60 connections from one address by default).
const sessions: ZooKeeperProvider[] = [];
function pool(index: number): ZooKeeperProvider {
  while (sessions.length <= index) sessions.push(zk.provider());
  return sessions[index] as ZooKeeperProvider;
}

// Broken variants, each the bug a check below must catch.
/** Admits one holder too many (the nodes say `permits`, the rule counts one more). */
function admitsOneMore(permits: number): QueueMode {
  return { ...permitMode(permits), turn: permitMode(permits + 1).turn };
}
/**
 * Every waiter watches the node `permits` places ahead of it: fine while holders release in arrival order,
 * but a later holder's release goes unseen, and its permit stays idle while someone waits.
 */
function watchesPermitsAhead(permits: number): QueueMode {
  return {
    ...permitMode(permits),
    turn: (nodes, index) =>
      index < permits
        ? { granted: true }
        : { granted: false, watch: (nodes[index - permits] as LockNode).name, grantedWhenGone: false },
    announcesGrant: false,
  };
}

/** Every watch the server holds (data and child), from `mntr`. */
function watchCount(mntr: string): number {
  return Number(/^zk_watch_count\s+(\d+)/m.exec(mntr)?.[1]);
}

function semaphore(provider: ZooKeeperProvider, name: string, permits: number, mode?: QueueMode): Lock {
  return mode === undefined ? provider.semaphore(name, permits) : new ZooKeeperLock(name, provider, {}, mode);
}

async function queued(name: string, count: number): Promise<void> {
  await eventually(async () => (await lockNodes(zk.admin, pool(0).parentPath(name))).length === count);
}

/** Eight contenders on four sessions, each taking a permit of three five times: the most holding at once. */
async function mostAtOnce(mode?: QueueMode): Promise<{ most: number; grants: number }> {
  const name = zk.uniqueName('bound');
  let holding = 0;
  let most = 0;
  let grants = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, contender) => {
      const lock = semaphore(pool(contender % 4), name, 3, mode);
      for (let round = 0; round < 5; round += 1) {
        const lease = await lock.acquire({ timeoutMs: 30_000 });
        holding += 1;
        grants += 1;
        most = Math.max(most, holding);
        await sleep(5);
        holding -= 1;
        await lease.release();
      }
    }),
  );
  expect(await lockNodes(zk.admin, pool(0).parentPath(name))).toHaveLength(0);
  return { most, grants };
}

describe('semaphore', () => {
  it('never more than `permits` holders among many contenders, and all of them used', async () => {
    expect(await mostAtOnce()).toEqual({ most: 3, grants: 40 });
  });

  it('mutant: a semaphore admitting permits + 1 is caught', async () => {
    expect((await mostAtOnce(admitsOneMore(3))).most).toBe(4);
  });

  /** Two permits held by A then B, C waits; B (the later holder) releases first: does C get B's permit? */
  async function outOfOrderRelease(mode?: QueueMode): Promise<boolean> {
    const name = zk.uniqueName('out-of-order');
    const first = await semaphore(pool(0), name, 2, mode).acquire();
    const second = await semaphore(pool(1), name, 2, mode).acquire();
    const waiting = semaphore(pool(2), name, 2, mode)
      .acquire({ timeoutMs: 3_000 })
      .catch((error: unknown) => error);
    await queued(name, 3);
    // C has read the queue and set its watch (holders set none): only now is B's release news to it.
    await eventually(async () => watchCount(await zk.servers.fourLetter('mntr')) >= 1);
    await second.release();
    const outcome = await waiting;
    await first.release();
    if (outcome instanceof Error) return false;
    await (outcome as Lease).release();
    return true;
  }

  it("a holder's release grants the first waiter whichever holder goes first", async () => {
    expect(await outOfOrderRelease()).toBe(true);
  });

  it('mutant: a waiter watching the node `permits` ahead misses a later holder leaving (an idle permit)', async () => {
    expect(await outOfOrderRelease(watchesPermitsAhead(2))).toBe(false);
  });

  it('grants in arrival order, handing down a queue of waiters one permit at a time', async () => {
    const name = zk.uniqueName('fifo');
    const holders = [
      await semaphore(pool(0), name, 2).acquire(),
      await semaphore(pool(1), name, 2).acquire(),
    ];
    const order: number[] = [];
    const waiting: Promise<Lease>[] = [];
    for (let index = 0; index < 5; index += 1) {
      waiting.push(
        semaphore(pool(2 + index), name, 2)
          .acquire({ timeoutMs: 20_000 })
          .then((lease) => {
            order.push(index);
            return lease;
          }),
      );
      await queued(name, 3 + index);
    }
    // One watch per waiter: the first waiter watches the queue (a child watch); every later one the node
    // just before it (a data watch); nobody watches a holder's node.
    const parent = pool(0).parentPath(name);
    const nodes = await lockNodes(zk.admin, parent);
    await eventually(async () => {
      const counts = watchersByPath(await zk.servers.fourLetter('wchp'));
      return nodes.reduce((sum, node) => sum + (counts.get(`${parent}/${node}`) ?? 0), 0) === 4;
    });
    const counts = watchersByPath(await zk.servers.fourLetter('wchp'));
    expect(nodes.map((node) => counts.get(`${parent}/${node}`) ?? 0)).toEqual([0, 0, 1, 1, 1, 1, 0]);
    // `wchp` shows data watches only; the server's total adds the first waiter's child watch.
    expect(watchCount(await zk.servers.fourLetter('mntr'))).toBe(5);
    // Release the holders in reverse order, then each grant in turn.
    await holders[1]!.release();
    const leases = [await waiting[0]!];
    await holders[0]!.release();
    for (let index = 1; index < 5; index += 1) {
      leases.push(await waiting[index]!);
      await leases[index - 1]!.release();
    }
    await leases[4]!.release();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(await lockNodes(zk.admin, parent)).toHaveLength(0);
  });

  it('an acquisition with other permits than the holders rejects with PermitsMismatchError and leaves no node', async () => {
    const name = zk.uniqueName('mismatch');
    const parent = pool(0).parentPath(name);
    const lease = await semaphore(pool(0), name, 3).acquire();
    for (const attempt of [
      () => semaphore(pool(1), name, 2).acquire(),
      () => semaphore(pool(1), name, 4).tryAcquire(),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(PermitsMismatchError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ permits: expect.any(Number), existingPermits: 3, lockName: name });
    }
    expect(await lockNodes(zk.admin, parent)).toHaveLength(1);
    const same = await semaphore(pool(1), name, 3).acquire();
    await same.release();
    await lease.release();
    // Once every holder has gone, the name takes any number again.
    const other = await semaphore(pool(1), name, 2).acquire();
    await other.release();
  });

  it('a timed-out or aborted waiter leaves no node behind', async () => {
    const name = zk.uniqueName('leave-nothing');
    const parent = pool(0).parentPath(name);
    const lease = await semaphore(pool(0), name, 1).acquire();
    const timedOut = await semaphore(pool(1), name, 1)
      .acquire({ timeoutMs: 200 })
      .catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(timedOut)).toBe(true);
    const controller = new AbortController();
    const aborted = semaphore(pool(2), name, 1)
      .acquire({ signal: controller.signal })
      .catch((error: unknown) => error);
    await queued(name, 2);
    controller.abort(new Error('stop'));
    expect(await aborted).toEqual(new Error('stop'));
    await eventually(async () => (await lockNodes(zk.admin, parent)).length === 1);
    expect(await semaphore(pool(3), name, 1).tryAcquire()).toBeNull();
    expect(await lockNodes(zk.admin, parent)).toHaveLength(1);
    await lease.release();
    expect(await lockNodes(zk.admin, parent)).toHaveLength(0);
  });

  it('tokens (czxid) strictly increase over every permit', async () => {
    const name = zk.uniqueName('tokens');
    const tokens: bigint[] = [];
    for (let round = 0; round < 3; round += 1) {
      const leases = [
        await semaphore(pool(0), name, 2).acquire(),
        await semaphore(pool(1), name, 2).acquire(),
      ];
      tokens.push(...leases.map((lease) => lease.token));
      for (const lease of leases) await lease.release();
    }
    for (let index = 1; index < tokens.length; index += 1) {
      expect(tokens[index]).toBeGreaterThan(tokens[index - 1] as bigint);
    }
  });

  it('kill -9 of a permit holder: its permit comes back with its session', async () => {
    const name = zk.uniqueName('kill-holder');
    const holder = await spawnHolder(zk.servers.connectionString, name, 2_000, 'sem:1');
    try {
      const waiting = semaphore(zk.provider({ sessionTimeoutMs: 2_000 }), name, 1).acquire({
        timeoutMs: 30_000,
      });
      await queued(name, 2);
      holder.kill();
      const lease = await waiting;
      expect(lease.token).toBeGreaterThan(holder.token);
      await lease.release();
      expect(await lockNodes(zk.admin, pool(0).parentPath(name))).toHaveLength(0);
    } finally {
      holder.kill();
    }
  });

  it('status shows the permits, the holders and the waiters in order', async () => {
    const name = zk.uniqueName('status');
    const owner = pool(0);
    const leases = [await semaphore(owner, name, 2).acquire(), await semaphore(pool(1), name, 2).acquire()];
    const waiting = semaphore(pool(2), name, 2).acquire();
    await queued(name, 3);
    const status = await owner.status(name);
    const nodes = await lockNodes(zk.admin, owner.parentPath(name));
    expect(status.permits).toBe(2);
    expect(status.holders).toEqual([
      { id: nodes[0], token: leases[0]!.token, ageMs: expect.any(Number) },
      { id: nodes[1], token: leases[1]!.token, ageMs: expect.any(Number) },
    ]);
    expect(status.waiters.map((entry) => entry.id)).toEqual([nodes[2]]);
    expect(status.waiterCount).toBe(1);
    for (const lease of leases) await lease.release();
    await (await waiting).release();
  });

  it('the first waiter watches the queue; the mode says so', () => {
    const mode = permitMode(2);
    const node = (sequence: number): LockNode => ({
      name: `n${sequence}`,
      kind: 'permit',
      sequence,
      permits: 2,
    });
    const nodes = [node(1), node(2), node(3), node(4)];
    expect(mode.turn(nodes, 1)).toEqual({ granted: true });
    expect(mode.turn(nodes, 2)).toEqual({ granted: false, watch: WATCH_QUEUE });
    expect(mode.turn(nodes, 3)).toEqual({ granted: false, watch: 'n3', grantedWhenGone: false });
  });
});
