import { type Lease, LockTimeoutError, type ReadWriteLock, sleep } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import {
  bargingGrants,
  HolderCount,
  leaveWithoutHandoff,
  MutantProvider,
  type Mutation,
  writeActsAsRead,
} from './mode-support.js';

let server: RedisServer;
const providers: RedisProvider[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await server?.close();
});

// recheckMs at its largest for the TTL, so a grant seen at once came from a handoff, not from a re-check.
const SETTINGS = { ttlMs: 3000, recheckMs: 750 };

function provider(mutation?: Mutation): RedisProvider {
  const options = { connection: server.url, ...SETTINGS };
  const made = mutation === undefined ? new RedisProvider(options) : new MutantProvider(options, mutation);
  providers.push(made);
  return made;
}

let names = 0;
function uniqueName(label: string): string {
  names += 1;
  return `rw-${label}-${names}`;
}

async function untilWaiting(made: RedisProvider, name: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if ((await made.status(name)).waiterCount >= count) return;
    await sleep(5);
  }
  throw new Error(`${count} waiters never queued on ${name}`);
}

describe('readers share, a writer is alone', () => {
  it('holds five read grants at once; status lists them as shared, a waiting writer as exclusive', async () => {
    const made = provider();
    const name = uniqueName('share');
    const lock = made.readWriteLock(name);
    const readers = await Promise.all(Array.from({ length: 5 }, () => lock.read.acquire()));
    const writer = lock.write.acquire();
    await untilWaiting(made, name, 1);
    const status = await made.status(name);
    expect(status.holders.map((holder) => holder.mode)).toEqual(Array(5).fill('shared'));
    expect(status.holders.map((holder) => holder.token).sort()).toEqual(
      readers.map((lease) => lease.token).sort(),
    );
    expect(status.waiters.map((waiter) => waiter.mode)).toEqual(['exclusive']);
    for (const lease of readers) await lease.release();
    await (await writer).release();
    expect(await made.leftoverKeys(name)).toEqual([]);
  });

  async function exclusionBreaches(lock: ReadWriteLock): Promise<number> {
    let breaches = 0;
    const writer = await lock.write.acquire();
    for (const other of [lock.read, lock.write]) {
      const intruder = await other.tryAcquire();
      if (intruder !== null) {
        breaches += 1;
        await intruder.release();
      }
    }
    await writer.release();
    const reader = await lock.read.acquire();
    const lateWriter = await lock.write.tryAcquire();
    if (lateWriter !== null) {
      breaches += 1;
      await lateWriter.release();
    }
    await reader.release();
    return breaches;
  }

  it('a writer excludes readers and writers, a reader excludes writers; red for a write that acts as a read', async () => {
    const name = uniqueName('exclude');
    expect(await exclusionBreaches(provider().readWriteLock(name))).toBe(0);
    expect(await provider().leftoverKeys(name)).toEqual([]);
    expect(
      await exclusionBreaches(provider(writeActsAsRead).readWriteLock(uniqueName('exclude-mutant'))),
    ).toBe(3);
  });

  async function mixedRun(made: RedisProvider, name: string): Promise<HolderCount> {
    const count = new HolderCount();
    // Several handles (each its own queue places and contended flag), one in four acquisitions a write.
    const handles = Array.from({ length: 6 }, () => made.readWriteLock(name));
    await Promise.all(
      handles.map(async (lock, client) => {
        for (let round = 0; round < 12; round += 1) {
          const writes = (client + round) % 4 === 0;
          const lease = await (writes ? lock.write : lock.read).acquire({ timeoutMs: 20_000 });
          const done = writes ? count.write() : count.read();
          await sleep(2);
          done();
          await lease.release();
        }
      }),
    );
    return count;
  }

  it('writers never overlap any holder under many mixed contenders; red for a write that acts as a read', async () => {
    const name = uniqueName('mixed');
    const made = provider();
    const sound = await mixedRun(made, name);
    expect(sound.overlaps).toBe(0);
    expect(sound.mostReaders).toBeGreaterThan(1);
    expect(await made.leftoverKeys(name)).toEqual([]);
    const broken = await mixedRun(provider(writeActsAsRead), uniqueName('mixed-mutant'));
    expect(broken.overlaps).toBeGreaterThan(0);
  }, 60_000);
});

describe('fairness across modes', () => {
  /**
   * A stream of readers with no gap: each new reader arrives while the previous one holds, and the previous one
   * lets go only once the new one is granted (or gave up after 100 ms). A writer queued in the stream must be
   * granted within its timeout; returns whether it was. Readers that barge past it keep the read side held for
   * ever, so it times out.
   */
  async function writerAmongReaders(made: RedisProvider, name: string): Promise<boolean> {
    const lock = made.readWriteLock(name);
    let current: Lease | undefined = await lock.read.acquire();
    let settled = false;
    const writer = lock.write.acquire({ timeoutMs: 1_500 }).then(
      (lease) => lease.release().then(() => true),
      (error: unknown) => {
        if (LockTimeoutError.isInstance(error)) return false;
        throw error;
      },
    );
    void writer.finally(() => {
      settled = true;
    });
    await untilWaiting(made, name, 1);
    while (!settled) {
      const next: Lease | undefined = await lock.read.acquire({ timeoutMs: 100 }).catch(() => undefined);
      await current?.release();
      current = next;
      await sleep(5);
    }
    await current?.release();
    return writer;
  }

  it('a waiting writer holds back later readers: a stream of readers never starves it; red for barging readers', async () => {
    const name = uniqueName('starve');
    const made = provider();
    expect(await writerAmongReaders(made, name)).toBe(true);
    expect(await made.leftoverKeys(name)).toEqual([]);
    expect(await writerAmongReaders(provider(bargingGrants), uniqueName('starve-mutant'))).toBe(false);
  }, 30_000);

  it('grants in arrival order across modes, readers in a row together', async () => {
    const made = provider();
    const name = uniqueName('order');
    const lock = made.readWriteLock(name);
    const holder = await lock.write.acquire();
    const pattern = ['R1', 'W2', 'R3', 'R4', 'W5', 'R6'];
    const granted: string[] = [];
    const running: Array<Promise<void>> = [];
    for (const [index, label] of pattern.entries()) {
      const side = label.startsWith('W') ? lock.write : lock.read;
      running.push(
        side.acquire().then(async (lease) => {
          granted.push(label);
          await sleep(30);
          await lease.release();
        }),
      );
      await untilWaiting(made, name, index + 1);
    }
    await holder.release();
    await Promise.all(running);
    // R3 and R4 are granted together (in either order): they share, and nobody waits between them.
    expect([granted[0], granted[1], [granted[2], granted[3]].sort(), granted[4], granted[5]]).toEqual([
      'R1',
      'W2',
      ['R3', 'R4'],
      'W5',
      'R6',
    ]);
    expect(await made.leftoverKeys(name)).toEqual([]);
  });
});

describe('tokens', () => {
  it('increase strictly across both modes, and across the name’s lock and semaphore', async () => {
    const made = provider();
    const name = uniqueName('tokens');
    const lock = made.readWriteLock(name);
    const tokens: bigint[] = [];
    const take = async (lease: Lease): Promise<Lease> => {
      tokens.push(lease.token);
      return lease;
    };
    await (await take(await lock.write.acquire())).release();
    const first = await take(await lock.read.acquire());
    const second = await take(await lock.read.acquire());
    await first.release();
    await second.release();
    await (await take(await lock.write.acquire())).release();
    await (await take(await made.lock(name).acquire())).release();
    await (await take(await made.semaphore(name, 2).acquire())).release();
    await (await take(await lock.read.acquire())).release();
    for (let index = 1; index < tokens.length; index += 1)
      expect(tokens[index]).toBeGreaterThan(tokens[index - 1]!);
    expect((await made.status(name)).lastToken).toBe(tokens.at(-1));
  });
});

describe('timeouts and aborts', () => {
  it('a timed-out writer and an aborted reader leave nothing behind', async () => {
    const made = provider();
    const name = uniqueName('leave');
    const lock = made.readWriteLock(name);
    const reader = await lock.read.acquire();
    await expect(lock.write.acquire({ timeoutMs: 100 })).rejects.toBeInstanceOf(LockTimeoutError);
    await reader.release();
    const writer = await lock.write.acquire();
    const controller = new AbortController();
    const aborted = lock.read.acquire({ signal: controller.signal });
    await untilWaiting(made, name, 1);
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    await writer.release();
    expect(await made.leftoverKeys(name)).toEqual([]);
    expect((await made.status(name)).waiterCount).toBe(0);
  });

  async function heldBackReaderGranted(made: RedisProvider, name: string): Promise<boolean> {
    const lock = made.readWriteLock(name);
    const reader = await lock.read.acquire();
    const writer = lock.write.acquire({ timeoutMs: 150 });
    await untilWaiting(made, name, 1);
    const later = lock.read.acquire({ timeoutMs: 5_000 });
    await untilWaiting(made, name, 2);
    await expect(writer).rejects.toBeInstanceOf(LockTimeoutError);
    // The writer's leave ran before its rejection: the reader it held back holds now, before any re-check.
    const holders = (await made.status(name)).holders.length;
    await reader.release();
    await (await later).release();
    return holders === 2;
  }

  it('a writer that times out hands on to the readers it held back; red when leaving does not hand on', async () => {
    const name = uniqueName('handon');
    const made = provider();
    expect(await heldBackReaderGranted(made, name)).toBe(true);
    expect(await made.leftoverKeys(name)).toEqual([]);
    expect(await heldBackReaderGranted(provider(leaveWithoutHandoff), uniqueName('handon-mutant'))).toBe(
      false,
    );
  });
});
