import { join } from 'node:path';
import { InvalidArgumentError, type Lease, type Lock, sleep } from '@lock/core';
import { formatReport, runClients } from '@lock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { lockKey } from '../src/index.js';
import { Child, eventually, fixture, queueLength, useEtcd } from './helpers.js';
import {
  MutantProvider,
  readerIgnoresWaitingWriters,
  waitsOutRevokedHolder,
  writeActsAsRead,
} from './mode-support.js';

const etcd = useEtcd();
const histories = join(process.env.TMPDIR ?? '/tmp', `lock-etcd-rw-${process.pid}`);
const children: Child[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
});

let names = 0;
function uniqueName(label: string): string {
  names += 1;
  return `rw-${label}-${process.pid}-${names}`;
}

/** A provider of its own (its own session), on the admin client. */
function session(): MutantProvider {
  return etcd.track(new MutantProvider({ client: etcd.admin, ttlMs: 10_000 })) as MutantProvider;
}

describe('read-write lock on etcd', () => {
  /** Three readers of three sessions hold; does a writer (in `writeMode`), a lock() of the name get in? */
  async function writerExcluded(writer: (provider: MutantProvider, name: string) => Lock) {
    const name = uniqueName('share');
    const readers = await Promise.all(
      [session(), session(), session()].map((provider) => provider.readWriteLock(name).read.acquire()),
    );
    const write = await writer(session(), name).tryAcquire();
    const plain = await session().lock(name).tryAcquire();
    const result = {
      readersShared: readers.every((lease) => lease.held),
      excluded: write === null && plain === null,
    };
    await write?.release();
    await plain?.release();
    for (const lease of readers) await lease.release();
    expect(await queueLength(session(), name)).toBe(0);
    return result;
  }

  it('readers of several sessions share; a writer and a lock() of the name are excluded while they hold', async () => {
    expect(await writerExcluded((provider, name) => provider.readWriteLock(name).write)).toEqual({
      readersShared: true,
      excluded: true,
    });
  });

  it('mutant: a write grant that acts as a read grant is caught', async () => {
    expect((await writerExcluded((provider, name) => provider.lockIn(name, writeActsAsRead))).excluded).toBe(
      false,
    );
  });

  it('keys: a reader puts NAME/read/<lease hex>-<n>, the writer is Go mutex key NAME/<lease hex>', async () => {
    const provider = session();
    const name = uniqueName('keys');
    const reader = await provider.readWriteLock(name).read.acquire();
    const id = ((await provider.sessionLeaseId()) as bigint).toString(16);
    expect(lockKey(reader)).toMatch(new RegExp(`^${name}/read/${id}-\\d+$`));
    const writing = provider.readWriteLock(name).write.acquire();
    await eventually(async () => (await queueLength(provider, name)) === 2);
    const status = await provider.status(name);
    expect(status.holders.map((entry) => entry.mode)).toEqual(['shared']);
    expect(status.waiters.map((entry) => [entry.id, entry.mode])).toEqual([[`${name}/${id}`, 'exclusive']]);
    await reader.release();
    const writer = await writing;
    expect(lockKey(writer)).toBe(`${name}/${id}`);
    expect(writer.token).toBeGreaterThan(reader.token);
    await writer.release();
    expect(await queueLength(provider, name)).toBe(0);
  });

  /** R1 holds, W queues, R2 arrives after W (three sessions): the order of the grants. */
  async function arrivalOrder(reader: (provider: MutantProvider, name: string) => Lock): Promise<string[]> {
    const name = uniqueName('fifo');
    const order: string[] = [];
    const first = await reader(session(), name).acquire();
    order.push('R1');
    const writing = session()
      .readWriteLock(name)
      .write.acquire({ timeoutMs: 20_000 })
      .then((lease) => {
        order.push('W');
        return lease;
      });
    await eventually(async () => (await queueLength(session(), name)) === 2);
    const later = reader(session(), name)
      .acquire({ timeoutMs: 20_000 })
      .then((lease) => {
        order.push('R2');
        return lease;
      });
    await eventually(async () => (await queueLength(session(), name)) === 3);
    // Time for a wrongly granted R2 to show itself (correct code cannot grant it: W's key is older).
    await sleep(300);
    await first.release();
    const write = await writing;
    await sleep(100);
    await write.release();
    await (await later).release();
    return order;
  }

  it('arrival order across sessions: a reader that comes after a waiting writer waits for it', async () => {
    expect(await arrivalOrder((provider, name) => provider.readWriteLock(name).read)).toEqual([
      'R1',
      'W',
      'R2',
    ]);
  });

  it('mutant: a read-preferring reader jumps the waiting writer', async () => {
    expect(
      await arrivalOrder((provider, name) => provider.lockIn(name, readerIgnoresWaitingWriters)),
    ).toEqual(['R1', 'R2', 'W']);
  });

  it('arrival order in one session: a reader behind a local writer waiting for a local writer', async () => {
    const provider = session();
    const name = uniqueName('local');
    const lock = provider.readWriteLock(name);
    const order: string[] = [];
    const first = await lock.write.acquire();
    const second = lock.write.acquire().then((lease) => {
      order.push('W2');
      return lease;
    });
    const reader = lock.read.acquire().then((lease) => {
      order.push('R');
      return lease;
    });
    expect(await lock.read.tryAcquire()).toBeNull();
    await sleep(100);
    expect(order).toEqual([]);
    await first.release();
    const write = await second;
    await sleep(100);
    expect(order).toEqual(['W2']);
    await write.release();
    await (await reader).release();
    expect(order).toEqual(['W2', 'R']);
    expect(await queueLength(provider, name)).toBe(0);
  });

  it("one writer's release wakes each reader behind it once, and they hold together", async () => {
    const provider = session();
    const name = uniqueName('herd');
    const writer = await provider.readWriteLock(name).write.acquire();
    const readers = Array.from({ length: 5 }, () => session());
    // A wake-up by the watch event, or by the read that follows a watch set after the release.
    const woken = (reader: MutantProvider) => reader.stats.wakeups + reader.stats.fallbackWakeups;
    const before = readers.map(woken);
    const reading = readers.map((reader) => reader.readWriteLock(name).read.acquire());
    await eventually(async () => (await queueLength(provider, name)) === 6);
    // Time for the readers to set their watches (each watches the writer's key).
    await sleep(300);
    await writer.release();
    const leases = await Promise.all(reading);
    expect(leases.every((lease) => lease.held)).toBe(true);
    expect(readers.map((reader, index) => woken(reader) - before[index]!)).toEqual([1, 1, 1, 1, 1]);
    for (const lease of leases) await lease.release();
  });

  it('a lock() waits for readers, and etcd keys of either mode order the tokens', async () => {
    const name = uniqueName('tokens');
    const tokens: bigint[] = [];
    const reads = await Promise.all([session(), session()].map((p) => p.readWriteLock(name).read.acquire()));
    tokens.push(...reads.map((lease) => lease.token).sort((a, b) => (a < b ? -1 : 1)));
    const locking = session().lock(name).acquire();
    await eventually(async () => (await queueLength(session(), name)) === 3);
    for (const lease of reads) await lease.release();
    const locked = await locking;
    tokens.push(locked.token);
    await locked.release();
    const last = await session().readWriteLock(name).read.acquire();
    tokens.push(last.token);
    await last.release();
    expect(tokens.every((token, index) => index === 0 || token > tokens[index - 1]!)).toBe(true);
  });

  it('one name is a lock or a semaphore: a reader on a semaphore name is refused and leaves no key', async () => {
    const name = uniqueName('in-use');
    const permit = await session().semaphore(name, 2).acquire();
    const refused = await session()
      .readWriteLock(name)
      .read.acquire()
      .catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(refused), String(refused)).toBe(true);
    const plain = await session()
      .lock(name)
      .tryAcquire()
      .catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(plain), String(plain)).toBe(true);
    expect(await queueLength(session(), name)).toBe(1);
    await permit.release();
    expect(await queueLength(session(), name)).toBe(0);
  });

  it('kill -9 of a reader: its read grant goes with its session and the waiting writer gets the lock', {
    timeout: 30_000,
  }, async () => {
    const name = uniqueName('kill');
    const holder = new Child(process.execPath, [
      fixture('mode-holder.mjs'),
      etcd.cluster.endpoints.join(','),
      name,
      'read',
      '0',
      '2000',
    ]);
    children.push(holder);
    const held = JSON.parse(await holder.line()) as { token: string; key: string };
    expect(held.key.startsWith(`${name}/read/`)).toBe(true);
    const writing = session().readWriteLock(name).write.acquire({ timeoutMs: 20_000 });
    await eventually(async () => (await queueLength(session(), name)) === 2);
    holder.signal('SIGKILL');
    await holder.exited;
    const writer: Lease = await writing;
    expect(writer.token).toBeGreaterThan(BigInt(held.token));
    await writer.release();
    expect(await queueLength(session(), name)).toBe(0);
  });

  it('waitOutRevokedHolders applies to readers: a writer gone with its lease is waited out, a release is not', async () => {
    for (const revoke of [true, false]) {
      const name = uniqueName(revoke ? 'revoked' : 'released');
      const seen = await waitsOutRevokedHolder(
        etcd.admin,
        (provider) => etcd.track(provider),
        name,
        (provider) => provider.readWriteLock(name).write,
        (provider) => provider.readWriteLock(name).read,
        revoke,
      );
      expect(seen, revoke ? 'revoked' : 'released').toEqual({ waits: revoke ? 1 : 0, holderHeld: false });
    }
  });
});

describe('safety with client processes (read-write)', () => {
  const run = (label: string, writeRatio: number, seed: number, mutant?: 'write-as-read') =>
    runClients({
      count: 4,
      module: fixture('mode-client.mjs'),
      args: { endpoints: etcd.cluster.endpoints, ttlMs: 5_000, name: uniqueName(label), primitive: 'rw' },
      historyDir: join(histories, label),
      operations: 20,
      writeRatio,
      seed,
      criticalSectionMs: 2,
      ...(mutant === undefined ? {} : { mutant }),
    });

  it('4 processes at 1 write in 3: exact counter, no overlap, tokens increasing', {
    timeout: 120_000,
  }, async () => {
    const result = await run('safety', 0.3, 41);
    expect(result.report.violations, formatReport(result.report)).toBe(0);
    expect(result.report.acquires.ok).toBe(80);
    const writes = result.history.filter(
      (event) => event.f === 'acquire' && event.type === 'ok' && event.mode === 'exclusive',
    );
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThan(80);
    expect(result.resource.value).toBe(writes.length);
    expect(result.report.overlaps.count).toBe(0);
    expect(result.report.tokens.regressions + result.report.tokens.duplicates).toBe(0);
  });

  it("mutant 'write-as-read' goes red: writers overlap other holders", { timeout: 120_000 }, async () => {
    const result = await run('write-as-read', 0.5, 42, 'write-as-read');
    expect(result.report.overlaps.count).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
  });
});
