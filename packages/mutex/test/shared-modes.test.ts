import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, type Lease, PermitsMismatchError } from '@lock/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedMutexProvider } from '../src/index.js';

const script = new URL('./workers/modes-worker.mjs', import.meta.url);

interface Answer {
  id: string;
  granted?: boolean;
  token?: string;
  error?: string;
  released?: boolean;
}

/** A worker thread that takes and releases locks of `provider`'s table when told to. */
class Remote {
  readonly worker: Worker;
  private readonly answers = new Map<string, (answer: Answer) => void>();
  private next = 0;
  readonly ready: Promise<Answer>;

  constructor(provider: SharedMutexProvider) {
    this.worker = new Worker(script, { workerData: { handle: provider.handle } });
    provider.watch(this.worker);
    this.worker.on('message', (answer: Answer) => this.answers.get(answer.id)?.(answer));
    this.ready = this.wait('ready');
  }

  /** Sends a request; resolves with its answer (an acquire's when it is granted). */
  send(request: Record<string, unknown>): { id: string; answer: Promise<Answer> } {
    const id = `r${this.next++}`;
    const answer = this.wait(id);
    this.worker.postMessage({ ...request, id });
    return { id, answer };
  }

  acquire(kind: string, name: string, permits?: number) {
    return this.send({ op: 'acquire', kind, name, permits });
  }

  async release(lease: string): Promise<Answer> {
    return this.send({ op: 'release', lease }).answer;
  }

  private wait(id: string): Promise<Answer> {
    return new Promise((resolve) => this.answers.set(id, resolve));
  }
}

const remotes: Remote[] = [];
afterEach(async () => {
  await Promise.all(remotes.splice(0).map((remote) => remote.worker.terminate()));
});

async function remote(provider: SharedMutexProvider): Promise<Remote> {
  const made = new Remote(provider);
  remotes.push(made);
  await made.ready;
  return made;
}

/** Resolves once `attempt` (a tryAcquire) finds the lock taken: someone queued ahead of new arrivals. */
async function untilRefused(attempt: () => Promise<Lease | null>): Promise<void> {
  for (;;) {
    const lease = await attempt();
    if (lease === null) return;
    await lease.release();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settled = <T>(promise: Promise<T>) =>
  Promise.race([
    promise.then(() => 'settled'),
    new Promise((resolve) => setTimeout(resolve, 100, 'pending')),
  ]);

describe('SharedMutexProvider read-write locks across worker threads', () => {
  it('readers of different threads share; a waiting writer holds back later readers of every thread', async () => {
    const provider = new SharedMutexProvider();
    const [a, b, c] = [await remote(provider), await remote(provider), await remote(provider)];
    const rw = provider.readWriteLock('doc');
    const first = a.acquire('read', 'doc');
    expect((await first.answer).granted).toBe(true);
    const mine = await rw.read.tryAcquire(); // a reader of another thread shares with it
    expect(mine).not.toBeNull();
    await mine!.release();

    const writer = b.acquire('write', 'doc');
    await untilRefused(() => rw.read.tryAcquire()); // the writer is queued: new readers wait behind it
    const later = c.acquire('read', 'doc');
    expect(await settled(writer.answer)).toBe('pending');
    expect(await settled(later.answer)).toBe('pending');

    await a.release(first.id);
    const written = await writer.answer;
    expect(written.granted).toBe(true);
    expect(await settled(later.answer)).toBe('pending'); // behind the writer, not beside it
    await b.release(writer.id);
    const read = await later.answer;
    expect(read.granted).toBe(true);
    const tokens = [(await first.answer).token, written.token, read.token].map((token) => BigInt(token!));
    expect(tokens[0]! < tokens[1]! && tokens[1]! < tokens[2]!).toBe(true);
    await c.release(later.id);
    await provider.close();
  });

  it("a terminated reader's share is given back: a writer gets in, no death reported", async () => {
    const provider = new SharedMutexProvider();
    const reader = await remote(provider);
    expect((await reader.acquire('read', 'doc').answer).granted).toBe(true);
    const write = provider.readWriteLock('doc').write;
    expect(await write.tryAcquire()).toBeNull();
    const waiting = write.acquire({ timeoutMs: 10_000 });
    await reader.worker.terminate();
    const lease = await waiting;
    expect((lease as Lease & { previousOwnerDied: boolean }).previousOwnerDied).toBe(false);
    await lease.release();
    await provider.close();
  });
});

describe('SharedMutexProvider semaphores across worker threads', () => {
  it('at most `permits` holders over all threads, granted in arrival order', async () => {
    const provider = new SharedMutexProvider();
    const workers = [
      await remote(provider),
      await remote(provider),
      await remote(provider),
      await remote(provider),
    ];
    const held = [workers[0]!.acquire('semaphore', 'pool', 2), workers[1]!.acquire('semaphore', 'pool', 2)];
    for (const each of held) expect((await each.answer).granted).toBe(true);
    const semaphore = provider.semaphore('pool', 2);
    expect(await semaphore.tryAcquire()).toBeNull();
    const third = workers[2]!.acquire('semaphore', 'pool', 2);
    await untilQueued(provider, 1);
    const fourth = workers[3]!.acquire('semaphore', 'pool', 2);
    await untilQueued(provider, 2);
    expect(await settled(third.answer)).toBe('pending');
    await workers[1]!.release(held[1]!.id);
    expect((await third.answer).granted).toBe(true); // the first to arrive, not the last
    expect(await settled(fourth.answer)).toBe('pending');
    await workers[0]!.release(held[0]!.id);
    expect((await fourth.answer).granted).toBe(true);
    await provider.close();
  });

  it('a name is one kind at a time: other permits and other kinds are refused at once, then follow the holders', async () => {
    const provider = new SharedMutexProvider();
    const holder = await remote(provider);
    const held = holder.acquire('semaphore', 'jobs', 3);
    expect((await held.answer).granted).toBe(true);
    const started = performance.now();
    await expect(provider.semaphore('jobs', 2).acquire({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(
      PermitsMismatchError,
    );
    await expect(provider.lock('jobs').acquire({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(provider.readWriteLock('jobs').read.tryAcquire()).rejects.toThrow(/a read-write lock/);
    expect(performance.now() - started).toBeLessThan(4_000); // refused, not timed out
    const elsewhere = await holder.acquire('semaphore', 'jobs', 2).answer;
    expect(elsewhere.error).toMatch(/PermitsMismatchError/);
    await holder.release(held.id);
    // Nobody holds or waits any more: the next holder decides what the name is.
    const lease = await provider.semaphore('jobs', 2).acquire();
    await lease.release();
    const exclusive = await provider.lock('jobs').acquire();
    await exclusive.release();
    await provider.close();
  });
});

/** Resolves once `count` tickets are queued in a slot of `provider`'s table (NEXT - SERVING; one name in use). */
async function untilQueued(provider: SharedMutexProvider, count: number): Promise<void> {
  const { table } = provider;
  for (;;) {
    for (let slot = 0; slot < table.capacity; slot++) {
      const base = table.base(slot);
      if (((table.words[base]! - table.words[base + 1]!) | 0) >= count) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
