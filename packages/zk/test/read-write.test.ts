import { InvalidArgumentError, type Lease, type Lock, LockTimeoutError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { ZooKeeperLock, type ZooKeeperProvider } from '../src/index.js';
import { exclusiveMode, type LockNode, parseLockNode, type QueueMode, sharedMode } from '../src/internal.js';
import { eventually, lockNodes, sleep, spawnHolder, useZooKeeper, watchersByPath } from './support.js';

const zk = useZooKeeper();
// A few sessions for every test (ZooKeeper allows 60 connections from one address by default).
const sessions: ZooKeeperProvider[] = [];
function pool(index: number): ZooKeeperProvider {
  while (sessions.length <= index) sessions.push(zk.provider());
  return sessions[index] as ZooKeeperProvider;
}

// Broken variants, each the bug a check below must catch.
/** A writer that grants itself like a reader. */
const writeActsAsRead: QueueMode = { ...exclusiveMode, turn: sharedMode.turn };
/** A read-preferring reader: waits only for a writer that holds, so a waiting writer starves. */
const readerIgnoresWaitingWriters: QueueMode = {
  ...sharedMode,
  turn: (nodes, index) =>
    index > 0 && nodes[0]?.kind === 'exclusive'
      ? { granted: false, watch: (nodes[0] as LockNode).name, grantedWhenGone: false }
      : { granted: true },
};
/** A reader that watches its immediate predecessor: readers queue behind one another. */
const readerWatchesPredecessor: QueueMode = {
  ...sharedMode,
  turn(nodes, index) {
    const turn = sharedMode.turn(nodes, index);
    if (turn.granted) return turn;
    return { granted: false, watch: (nodes[index - 1] as LockNode).name, grantedWhenGone: false };
  },
};
/** A reader that watches the first writer before it (a herd on the holder). */
const readerWatchesFirstWriter: QueueMode = {
  ...sharedMode,
  turn(nodes, index) {
    const turn = sharedMode.turn(nodes, index);
    if (turn.granted) return turn;
    const first = nodes.findIndex((node) => node.kind === 'exclusive');
    return { granted: false, watch: (nodes[first] as LockNode).name, grantedWhenGone: false };
  },
};

function reader(provider: ZooKeeperProvider, name: string, mode: QueueMode = sharedMode): Lock {
  return mode === sharedMode
    ? provider.readWriteLock(name).read
    : new ZooKeeperLock(name, provider, {}, mode);
}

function writer(provider: ZooKeeperProvider, name: string, mode: QueueMode = exclusiveMode): Lock {
  return mode === exclusiveMode
    ? provider.readWriteLock(name).write
    : new ZooKeeperLock(name, provider, {}, mode);
}

async function queued(name: string, count: number): Promise<void> {
  await eventually(async () => (await lockNodes(zk.admin, pool(0).parentPath(name))).length === count);
}

/** Three readers hold at once; does a writer (and a lock() of the name) get in beside them? */
async function writerExcluded(writeMode: QueueMode): Promise<{ readersShared: boolean; excluded: boolean }> {
  const name = zk.uniqueName('share');
  const readers = await Promise.all(
    [pool(0), pool(1), pool(2)].map((provider) => reader(provider, name).acquire({ timeoutMs: 10_000 })),
  );
  const readersShared = readers.every((lease) => lease.held);
  const write = await writer(pool(3), name, writeMode).tryAcquire();
  const plain = await pool(4).lock(name).tryAcquire();
  const excluded = write === null && plain === null;
  await write?.release();
  await plain?.release();
  for (const lease of readers) await lease.release();
  return { readersShared, excluded };
}

describe('read-write lock', () => {
  it('readers share; a writer and a lock() of the same name are excluded while they hold', async () => {
    expect(await writerExcluded(exclusiveMode)).toEqual({ readersShared: true, excluded: true });
    const name = zk.uniqueName('writer-holds');
    const write = await writer(pool(0), name).acquire();
    expect(await reader(pool(1), name).tryAcquire()).toBeNull();
    expect(await pool(2).lock(name).tryAcquire()).toBeNull();
    await write.release();
    expect(await lockNodes(zk.admin, pool(0).parentPath(name))).toHaveLength(0);
  });

  it('mutant: a write grant that acts as a read grant is caught', async () => {
    expect((await writerExcluded(writeActsAsRead)).excluded).toBe(false);
  });

  /** R1 holds, W queues, R2 arrives after W: the order grants happen in. */
  async function arrivalOrder(readMode: QueueMode): Promise<string[]> {
    const name = zk.uniqueName('fifo');
    const order: string[] = [];
    const first = await reader(pool(0), name, readMode).acquire();
    order.push('R1');
    const writing = writer(pool(1), name)
      .acquire({ timeoutMs: 20_000 })
      .then((lease) => {
        order.push('W');
        return lease;
      });
    await queued(name, 2);
    const later = reader(pool(2), name, readMode)
      .acquire({ timeoutMs: 20_000 })
      .then((lease) => {
        order.push('R2');
        return lease;
      });
    await queued(name, 3);
    // Time for a wrongly granted R2 to show itself (correct code cannot grant it: it watches W's node).
    await sleep(300);
    await first.release();
    const write = await writing;
    await sleep(300);
    await write.release();
    await (await later).release();
    return order;
  }

  it('arrival order across modes: a reader that comes after a waiting writer waits for it', async () => {
    expect(await arrivalOrder(sharedMode)).toEqual(['R1', 'W', 'R2']);
  });

  it('mutant: a read-preferring reader jumps the waiting writer', async () => {
    expect(await arrivalOrder(readerIgnoresWaitingWriters)).toEqual(['R1', 'R2', 'W']);
  });

  /**
   * Readers come and go on three sessions, one always holding, while a writer asks: how many readers that
   * asked after the writer had queued were granted before it? The writer must get in while the stream goes on.
   */
  async function readersAheadOfWriter(readMode: QueueMode): Promise<number> {
    const name = zk.uniqueName('stream');
    let grants = 0;
    let stop = false;
    let writerQueued = false;
    let writerGranted = false;
    let jumped = 0;
    const stream = [pool(0), pool(1), pool(2)].map(async (provider, worker) => {
      await sleep(worker * 70);
      const lock = reader(provider, name, readMode);
      while (!stop && grants < 200) {
        const arrivedAfterWriter = writerQueued;
        const lease = await lock.acquire({ timeoutMs: 30_000 });
        grants += 1;
        if (arrivedAfterWriter && !writerGranted) jumped += 1;
        await sleep(200);
        await lease.release();
      }
    });
    await eventually(() => grants >= 6);
    const writing = writer(pool(3), name).acquire({ timeoutMs: 30_000 });
    await eventually(
      async () =>
        (await lockNodes(zk.admin, pool(3).parentPath(name))).some(
          (node) => parseLockNode(node)?.kind === 'exclusive',
        ),
      20_000,
      5,
    );
    writerQueued = true;
    const lease = await writing;
    writerGranted = true;
    stop = true;
    await lease.release();
    await Promise.all(stream);
    return jumped;
  }

  it('a continuous stream of readers never starves a writer: no reader that came after it goes first', async () => {
    expect(await readersAheadOfWriter(sharedMode)).toBe(0);
  });

  it('mutant: read-preferring readers that came after the writer go first', async () => {
    expect(await readersAheadOfWriter(readerIgnoresWaitingWriters)).toBeGreaterThan(0);
  });

  /** W1 holds, W2 waits, four readers wait behind W2 (each on its own session). */
  async function readersBehindWriters(readMode: QueueMode) {
    const name = zk.uniqueName('watch');
    const parent = pool(0).parentPath(name);
    const first = await writer(pool(0), name).acquire();
    const second = writer(pool(1), name).acquire({ timeoutMs: 20_000 });
    await queued(name, 2);
    const readers: Promise<Lease>[] = [];
    for (let index = 0; index < 4; index += 1) {
      readers.push(reader(pool(2 + index), name, readMode).acquire({ timeoutMs: 5_000 }));
      await queued(name, 3 + index);
    }
    const nodes = await lockNodes(zk.admin, parent);
    await eventually(async () => {
      const counts = watchersByPath(await zk.servers.fourLetter('wchp'));
      return nodes.reduce((sum, node) => sum + (counts.get(`${parent}/${node}`) ?? 0), 0) === 5;
    });
    const counts = watchersByPath(await zk.servers.fourLetter('wchp'));
    const watchers = nodes.map((node) => counts.get(`${parent}/${node}`) ?? 0);
    await first.release();
    await (await second).release();
    const outcomes = await Promise.allSettled(readers);
    const allHeldAtOnce = outcomes.every((outcome) => outcome.status === 'fulfilled' && outcome.value.held);
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') await outcome.value.release();
    return { watchers, allHeldAtOnce };
  }

  it('readers watch the nearest writer before them only, and its release grants them all at once', async () => {
    // W1 is watched by W2; W2 by the four readers; no reader by anyone.
    expect(await readersBehindWriters(sharedMode)).toEqual({
      watchers: [1, 4, 0, 0, 0, 0],
      allHeldAtOnce: true,
    });
  });

  it('mutants: a reader watching its predecessor queues readers behind readers; one watching the first writer herds', async () => {
    const chained = await readersBehindWriters(readerWatchesPredecessor);
    expect(chained.watchers).toEqual([1, 1, 1, 1, 1, 0]);
    expect(chained.allHeldAtOnce).toBe(false);
    expect((await readersBehindWriters(readerWatchesFirstWriter)).watchers).toEqual([5, 0, 0, 0, 0, 0]);
  });

  it('tokens (czxid) strictly increase across modes; a writer is above every reader before it', async () => {
    const name = zk.uniqueName('tokens');
    const provider = pool(0);
    const { read, write } = provider.readWriteLock(name);
    const tokens: bigint[] = [];
    for (const lock of [write, read, read, write, provider.lock(name), read, write]) {
      const lease = await lock.acquire();
      tokens.push(lease.token);
      await lease.release();
    }
    for (let index = 1; index < tokens.length; index += 1) {
      expect(tokens[index]).toBeGreaterThan(tokens[index - 1] as bigint);
    }
    const readers = await Promise.all([read.acquire(), reader(pool(1), name).acquire()]);
    const writing = write.acquire({ timeoutMs: 10_000 });
    await queued(name, 3);
    for (const lease of readers) await lease.release();
    const lease = await writing;
    expect(lease.token).toBeGreaterThan(readers[0]!.token);
    expect(lease.token).toBeGreaterThan(readers[1]!.token);
    await lease.release();
  });

  it('a timed-out or aborted reader or writer leaves no node behind', async () => {
    const name = zk.uniqueName('leave-nothing');
    const parent = pool(0).parentPath(name);
    const write = await writer(pool(0), name).acquire();
    const timedOut = await reader(pool(1), name)
      .acquire({ timeoutMs: 200 })
      .catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(timedOut)).toBe(true);
    const controller = new AbortController();
    const aborted = reader(pool(2), name)
      .acquire({ signal: controller.signal })
      .catch((error: unknown) => error);
    await queued(name, 2);
    controller.abort(new Error('stop'));
    expect(await aborted).toEqual(new Error('stop'));
    await eventually(async () => (await lockNodes(zk.admin, parent)).length === 1);
    await write.release();
    const read = await reader(pool(3), name).acquire();
    const writerTimedOut = await writer(pool(4), name)
      .acquire({ timeoutMs: 200 })
      .catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(writerTimedOut)).toBe(true);
    await eventually(async () => (await lockNodes(zk.admin, parent)).length === 1);
    await read.release();
    expect(await lockNodes(zk.admin, parent)).toHaveLength(0);
  });

  it('kill -9 of a reader: its read grant goes with its session and the waiting writer gets the lock', async () => {
    const name = zk.uniqueName('kill-reader');
    const holder = await spawnHolder(zk.servers.connectionString, name, 2_000, 'read');
    try {
      const write = writer(zk.provider({ sessionTimeoutMs: 2_000 }), name);
      const writing = write.acquire({ timeoutMs: 30_000 });
      await queued(name, 2);
      holder.kill();
      const lease = await writing;
      expect(lease.token).toBeGreaterThan(holder.token);
      await lease.release();
      expect(await lockNodes(zk.admin, pool(0).parentPath(name))).toHaveLength(0);
    } finally {
      holder.kill();
    }
  });

  it('status shows holders and waiters with their modes', async () => {
    const name = zk.uniqueName('status-modes');
    const owner = pool(0);
    const readers = await Promise.all([reader(owner, name).acquire(), reader(pool(1), name).acquire()]);
    const writing = writer(pool(2), name).acquire();
    await queued(name, 3);
    const later = reader(pool(3), name).acquire();
    await queued(name, 4);
    const status = await owner.status(name);
    const nodes = await lockNodes(zk.admin, owner.parentPath(name));
    expect(status.holders.map((entry) => [entry.id, entry.mode])).toEqual([
      [nodes[0], 'shared'],
      [nodes[1], 'shared'],
    ]);
    expect(status.waiters.map((entry) => [entry.id, entry.mode])).toEqual([
      [nodes[2], 'exclusive'],
      [nodes[3], 'shared'],
    ]);
    expect(status.permits).toBeUndefined();
    expect(new Set(status.holders.map((entry) => entry.token))).toEqual(
      new Set(readers.map((lease) => lease.token)),
    );
    for (const lease of readers) await lease.release();
    await (await writing).release();
    await (await later).release();
  });

  it('one name is a lock or a semaphore: the later use is refused and leaves no node', async () => {
    const name = zk.uniqueName('both');
    const parent = pool(0).parentPath(name);
    const read = await reader(pool(0), name).acquire();
    const refused = await zk
      .provider()
      .semaphore(name, 2)
      .acquire()
      .catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(refused)).toBe(true);
    expect((refused as InvalidArgumentError).parameter).toBe('name');
    expect(await lockNodes(zk.admin, parent)).toHaveLength(1);
    await read.release();
    const permit = await pool(1).semaphore(name, 2).acquire();
    for (const lock of [pool(2).lock(name), reader(pool(3), name)]) {
      const error = await lock.acquire().catch((caught: unknown) => caught);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
    }
    expect(await lockNodes(zk.admin, parent)).toHaveLength(1);
    await permit.release();
  });
});
