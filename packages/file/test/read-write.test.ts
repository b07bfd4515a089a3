import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lease, LockTimeoutError } from '@lock/core';
import { formatReport, runClients } from '@lock/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { killedWaitersExited } from '../src/internal.js';
import { type ChildReply, LockChild } from './lock-child.js';
import { lockDirectory, makeProvider, sleep } from './support.js';

const directory = lockDirectory('read-write');
const histories = lockDirectory('read-write-history');
const rwClient = fileURLToPath(new URL('./fixtures/file-rw-client.mjs', import.meta.url));
let provider: FileProvider;
const children: LockChild[] = [];
beforeAll(() => {
  provider = makeProvider(directory.path);
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});
afterAll(async () => {
  await provider.close();
  directory.cleanup();
  histories.cleanup();
});

async function child(turnstile: 'pass' | 'skip' = 'pass'): Promise<LockChild> {
  const started = await LockChild.start(directory.path, turnstile);
  children.push(started);
  return started;
}

/** Waits until `count` requests of other processes or our waiter are blocked in the kernel on `name`. */
async function untilBlocked(name: string, count: number): Promise<void> {
  while ((await provider.status(name)).details?.waitingProcesses !== count) await sleep(5);
}

describe('read-write locks across processes', () => {
  it('readers of two processes share; lock(name) and write are one lock that excludes them both ways', async () => {
    const name = 'one-lock';
    const reader = await child();
    expect((await reader.acquire(name, undefined, 'read')).op).toBe('acquired');
    const rw = provider.readWriteLock(name);
    const read = await rw.read.tryAcquire();
    expect(read).not.toBeNull();
    expect(await provider.lock(name).tryAcquire()).toBeNull();
    expect(await rw.write.tryAcquire()).toBeNull();
    const status = await provider.status(name);
    expect(status.holders.map((holder) => holder.mode)).toEqual(['shared']);
    await read!.release();
    await reader.release(name);

    expect((await reader.acquire(name, undefined, 'lock')).op).toBe('acquired');
    expect(await rw.read.tryAcquire()).toBeNull();
    expect(await rw.write.tryAcquire()).toBeNull();
    await reader.release(name);
    expect((await reader.acquire(name, undefined, 'write')).op).toBe('acquired');
    expect(await provider.lock(name).tryAcquire()).toBeNull();
    expect(await rw.read.tryAcquire()).toBeNull();
    await reader.release(name);
  });

  for (const turnstile of ['pass', 'skip'] as const) {
    it(
      turnstile === 'pass'
        ? 'a waiting writer holds back a later reader of another process (tryAcquire -> null)'
        : "mutant 'skip' (readers without the turnstile): the later reader passes the waiting writer",
      async () => {
        const name = `late-reader-${turnstile}`;
        const first = await child();
        const late = await child(turnstile);
        expect((await first.acquire(name, undefined, 'read')).op).toBe('acquired');
        const writer = provider.readWriteLock(name).write.acquire({ timeoutMs: 20_000 });
        await untilBlocked(name, 1);
        const lateToken = await late.tryAcquire(name, 'read');
        if (turnstile === 'pass') expect(lateToken).toBeNull();
        else expect(lateToken).not.toBeNull();
        if (lateToken !== null) await late.release(name);
        await first.release(name);
        const lease = await writer;
        await lease.release();
      },
    );
  }

  for (const turnstile of ['pass', 'skip'] as const) {
    it(turnstile === 'pass'
      ? 'a stream of overlapping readers in another process does not starve a waiting writer'
      : "mutant 'skip': the stream of readers keeps the writer out until it ends", {
      timeout: 60_000,
    }, async () => {
      const name = `stream-${turnstile}`;
      const GRANTS = 300;
      const streamer = await child(turnstile);
      let count = 0;
      streamer.process.on('message', (reply: ChildReply) => {
        if (reply.op === 'streamed') count = reply.count!;
      });
      streamer.startReadStream(name, GRANTS);
      while (count < 5) await sleep(2);
      const waiting = provider.readWriteLock(name).write.acquire({ timeoutMs: 30_000 });
      // Counted from the moment the writer waits in the kernel (its waiter process is up).
      await untilBlocked(name, 1);
      const atStart = count;
      const lease = await waiting;
      const passed = count - atStart;
      await lease.release();
      await streamer.next('stream-done', name);
      console.log(`turnstile ${turnstile}: ${passed} reads granted while the writer waited`);
      // Only the reader holding when the writer arrived, and one that was past the turnstile, may go first.
      if (turnstile === 'pass') expect(passed).toBeLessThanOrEqual(2);
      else expect(passed).toBeGreaterThan(GRANTS / 4);
    });
  }

  it('a reader that waited in the kernel gets a token minted by its waiter process, above the writer before it and below the next', async () => {
    const name = 'waited-reader-token';
    const writer = await child();
    const written = await writer.acquire(name, undefined, 'write');
    const read = provider.readWriteLock(name).read.acquire({ timeoutMs: 20_000 });
    await untilBlocked(name, 1);
    await writer.release(name);
    const waited = await read;
    // The next readers pass the turnstile at once (it was given back by the waiter process).
    const joined = await provider.readWriteLock(name).read.tryAcquire();
    const other = await writer.tryAcquire(name, 'read');
    expect(joined).not.toBeNull();
    expect(other).not.toBeNull();
    expect(waited.token).toBeGreaterThan(BigInt(written.token!));
    expect(joined!.token).toBeGreaterThan(waited.token);
    expect(BigInt(other!)).toBeGreaterThan(joined!.token);
    expect((await provider.status(name)).lastToken).toBe(BigInt(other!));
    await writer.release(name);
    await joined!.release();
    await waited.release();
  });

  it('a reader killed with -9: its shared lock comes back and the waiting writer is in', async () => {
    const name = 'killed-reader';
    const reader = await child();
    const held = await reader.acquire(name, undefined, 'read');
    const writer = provider.readWriteLock(name).write.acquire({ timeoutMs: 20_000 });
    await untilBlocked(name, 1);
    await reader.kill();
    const lease = await writer;
    expect(lease.token).toBeGreaterThan(BigInt(held.token!));
    await lease.release();
  });

  for (const waiterWaits of ['thread-pool', 'main-thread'] as const) {
    it(
      waiterWaits === 'thread-pool'
        ? 'a writer killed with -9 while it waits holding the turnstile: readers pass again'
        : "mutant 'main-thread' (the waiter blocks where it cannot see its parent die): the dead writer keeps the turnstile",
      async () => {
        const name = `killed-writer-${waiterWaits}`;
        const read = await provider.readWriteLock(name).read.acquire();
        const writer = await LockChild.start(directory.path, 'pass', waiterWaits);
        children.push(writer);
        writer.startAcquire(name, undefined, 'write');
        await untilBlocked(name, 1);
        // The waiting writer holds the turnstile: a reader of this process (which must pass it) is held back.
        expect(await provider.readWriteLock(name).read.tryAcquire()).toBeNull();
        await writer.kill();
        const again = await provider
          .readWriteLock(name)
          .read.acquire({ timeoutMs: waiterWaits === 'thread-pool' ? 10_000 : 1500 })
          .then(
            (lease) => lease,
            (error: unknown) => error,
          );
        if (waiterWaits === 'thread-pool') {
          expect(LockTimeoutError.isInstance(again)).toBe(false);
          await (again as Lease).release();
        } else {
          expect(LockTimeoutError.isInstance(again)).toBe(true);
        }
        // Once this reader goes, the orphan (if any) is granted, sees it is alone and exits.
        await read.release();
        await untilBlocked(name, 0);
      },
    );
  }

  it('a writer that times out gives the turnstile back and leaves nothing in the kernel', async () => {
    const name = 'writer-timeout';
    const reader = await child();
    await reader.acquire(name, undefined, 'read');
    const timedOut = await provider
      .readWriteLock(name)
      .write.acquire({ timeoutMs: 200 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(LockTimeoutError.isInstance(timedOut)).toBe(true);
    await killedWaitersExited();
    expect((await provider.status(name)).waiterCount).toBe(0);
    const other = await child();
    expect(await other.tryAcquire(name, 'read')).not.toBeNull();
    await other.release(name);
    await reader.release(name);
  });

  it('an aborted reader waiting at the turnstile leaves nothing; the readers it would have joined keep holding', async () => {
    const name = 'reader-abort';
    const read = await provider.readWriteLock(name).read.acquire();
    const writer = await child();
    writer.startAcquire(name, undefined, 'write');
    await untilBlocked(name, 1);
    const controller = new AbortController();
    const queued = provider
      .readWriteLock(name)
      .read.acquire({ signal: controller.signal })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await untilBlocked(name, 2);
    const reason = new Error('reader gave up');
    controller.abort(reason);
    expect(await queued).toBe(reason);
    await killedWaitersExited();
    expect(read.held).toBe(true);
    await untilBlocked(name, 1);
    await read.release();
    expect((await writer.next(['acquired', 'failed'], name)).op).toBe('acquired');
    await writer.release(name);
  });
});

describe('safety with read-write client processes', () => {
  it('4 processes, 1 write in 3: writers never overlap anyone, tokens strictly increase across modes', {
    timeout: 120_000,
  }, async () => {
    const result = await runClients({
      count: 4,
      module: rwClient,
      args: { directory: directory.path, name: 'rw-counter' },
      historyDir: join(histories.path, 'rw'),
      operations: 30,
      writeRatio: 0.3,
      seed: 31,
      criticalSectionMs: 2,
    });
    expect(result.report.violations, formatReport(result.report)).toBe(0);
    expect(result.report.acquires.ok).toBe(120);
    const grants = result.history.filter((event) => event.f === 'acquire' && event.type === 'ok');
    const writers = grants.filter((event) => event.mode === 'exclusive').length;
    expect(writers).toBeGreaterThan(0);
    expect(writers).toBeLessThan(120);
    expect(result.resource.value).toBe(writers);
    expect(result.report.overlaps.count).toBe(0);
    expect(result.report.tokens.regressions + result.report.tokens.duplicates).toBe(0);
  });

  it("mutant 'write-as-read' goes red: writers overlap other holders", { timeout: 120_000 }, async () => {
    const result = await runClients({
      count: 4,
      module: rwClient,
      args: { directory: directory.path, name: 'rw-mutant' },
      historyDir: join(histories.path, 'write-as-read'),
      operations: 30,
      writeRatio: 0.5,
      seed: 32,
      criticalSectionMs: 2,
      mutant: 'write-as-read',
    });
    expect(result.report.overlaps.count).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
  });
});
