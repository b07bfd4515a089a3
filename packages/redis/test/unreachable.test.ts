import { type AddressInfo, createServer, type Socket } from 'node:net';
import { LockBackendError, sleep } from '@lock/core';
import { FaultProxy, freePort, type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandTimeoutError,
  createProvider,
  RedisProvider,
  RedlockProvider,
  RedlockQuorumError,
} from '../src/index.js';

/** Generous: a hang is what these tests catch, not speed (the machine is shared). */
const BOUND_MS = 10_000;

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.close();
});

/** Runs `call` and returns what it rejected with and how long that took; fails the test if it resolves. */
async function rejection(call: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const startedAt = performance.now();
  try {
    await call();
  } catch (error) {
    return { error, elapsedMs: performance.now() - startedAt };
  }
  throw new Error('expected a rejection');
}

function expectBackendTimeout(outcome: { error: unknown; elapsedMs: number }): void {
  expect(LockBackendError.isInstance(outcome.error), String(outcome.error)).toBe(true);
  expect(outcome.elapsedMs).toBeLessThan(BOUND_MS);
}

/** Polls until the lock has no keys left (late commands and their compensations land after a reconnect). */
async function expectNoLeftovers(provider: RedisProvider, names: string[]): Promise<void> {
  const until = performance.now() + BOUND_MS;
  let left: string[] = [];
  for (;;) {
    left = (await Promise.all(names.map((name) => provider.leftoverKeys(name)))).flat();
    if (left.length === 0 || performance.now() > until) break;
    await sleep(100);
  }
  expect(left).toEqual([]);
}

/** Retries a fresh acquire + release until the provider works again (ioredis reconnects on its own schedule). */
async function worksAgain(provider: RedisProvider, name: string): Promise<void> {
  const until = performance.now() + BOUND_MS * 2;
  for (;;) {
    try {
      const lease = await provider.lock(name).acquire({ timeoutMs: 5000 });
      expect(await lease.release()).toBe(true);
      return;
    } catch (error) {
      if (performance.now() > until) throw error;
      await sleep(200);
    }
  }
}

describe('an unreachable server fails calls in bounded time, and leaves nothing behind', () => {
  it('blackholed: acquire, tryAcquire, status and a blocked waiter reject with LockBackendError', async () => {
    const proxy = await FaultProxy.start({ targetPort: server.port });
    const viaProxy = new RedisProvider({
      connection: `redis://127.0.0.1:${proxy.port}`,
      // Long enough that a grant applied late and not undone would still show up as a leftover below.
      ttlMs: 60_000,
      commandTimeoutMs: 500,
    });
    const direct = new RedisProvider({ connection: server.url, ttlMs: 3000 });
    const names = ['bh-free', 'bh-held', 'bh-try', 'bh-status', 'bh-deadline'];
    try {
      await worksAgain(viaProxy, 'bh-free'); // scripts loaded, connection up
      const held = await direct.lock('bh-held').acquire();
      const waiter = viaProxy
        .lock('bh-held')
        .acquire()
        .then(
          () => 'granted',
          (error: unknown) => error,
        );
      await sleep(300); // queued and blocked in BLPOP
      proxy.blackhole();
      const blackholedAt = performance.now();

      const free = await rejection(() => viaProxy.lock('bh-free').acquire());
      expectBackendTimeout(free);
      expect((free.error as LockBackendError).cause).toBeInstanceOf(CommandTimeoutError);
      expectBackendTimeout(await rejection(() => viaProxy.lock('bh-try').tryAcquire()));
      expectBackendTimeout(await rejection(() => viaProxy.status('bh-status')));
      expectBackendTimeout(await rejection(() => viaProxy.lock('bh-free').acquire({ timeoutMs: 20_000 })));
      // A shorter deadline of the acquisition bounds the wait for a holder, not the server's answer: a server that
      // does not answer is a backend failure, never a timeout (which would say the lock is held).
      const deadline = await rejection(() => viaProxy.lock('bh-deadline').acquire({ timeoutMs: 100 }));
      expectBackendTimeout(deadline);

      const waited = await waiter;
      expect(LockBackendError.isInstance(waited), String(waited)).toBe(true);
      expect(performance.now() - blackholedAt).toBeLessThan(BOUND_MS);

      // Back: ioredis reconnects and resends what was never answered; the queued undo follows each of them.
      proxy.pass();
      proxy.reset();
      await held.release();
      await worksAgain(viaProxy, 'bh-free');
      await worksAgain(viaProxy, 'bh-held');
      expect((await viaProxy.status('bh-held')).holders).toEqual([]);
      await expectNoLeftovers(direct, names);
    } finally {
      proxy.pass();
      await Promise.all([viaProxy.close(), direct.close()]);
      await proxy.close();
    }
  }, 60_000);

  it('killed: the same calls and a release reject; after a restart everything works with no leftovers', async () => {
    const own = await startRedis();
    const provider = new RedisProvider({ connection: own.url, ttlMs: 3000, commandTimeoutMs: 500 });
    try {
      const lease = await provider.lock('down').acquire();
      const waiter = provider
        .lock('down')
        .acquire()
        .then(
          () => 'granted',
          (error: unknown) => error,
        );
      await sleep(300);
      await own.kill();

      expectBackendTimeout(await rejection(() => provider.lock('down-free').acquire()));
      expectBackendTimeout(await rejection(() => provider.lock('down-try').tryAcquire()));
      expectBackendTimeout(await rejection(() => provider.status('down')));
      expectBackendTimeout(await rejection(() => lease.release()));
      const waited = await waiter;
      expect(LockBackendError.isInstance(waited), String(waited)).toBe(true);

      await own.restart();
      await worksAgain(provider, 'down');
      await worksAgain(provider, 'down-free');
      expect((await provider.status('down')).holders).toEqual([]);
      await expectNoLeftovers(provider, ['down', 'down-free', 'down-try']);
    } finally {
      await provider.close();
      await own.close();
    }
  }, 60_000);

  it('a closed port: acquire rejects with LockBackendError in bounded time (createProvider option)', async () => {
    const port = await freePort();
    const provider = createProvider({ url: `redis://127.0.0.1:${port}`, ttlMs: 3000, commandTimeoutMs: 300 });
    try {
      expectBackendTimeout(await rejection(() => provider.lock('nowhere').acquire()));
      expectBackendTimeout(await rejection(() => provider.lock('nowhere').tryAcquire()));
    } finally {
      await provider.close();
    }
  }, 30_000);
});

/** A TCP server that accepts connections and never answers (nor closes them). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  return {
    port: (silent.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        silent.close(() => resolve());
      }),
  };
}

describe('a server that is down is not a held lock (acquire with timeoutMs 1000, default command timeout)', () => {
  async function expectNoAnswer(url: string, cause: RegExp, code?: string): Promise<void> {
    const provider = createProvider({ url, ttlMs: 3000 });
    try {
      for (const call of [
        () => provider.lock('down').acquire({ timeoutMs: 1000 }),
        () => provider.lock('down').tryAcquire(),
      ]) {
        const outcome = await rejection(call);
        expectBackendTimeout(outcome);
        const error = outcome.error as LockBackendError;
        expect(error.message).toMatch(/no answer from Redis to (acquire|tryAcquire) within 3000 ms/);
        expect(error.cause).toBeInstanceOf(CommandTimeoutError);
        expect(String((error.cause as Error).message)).toMatch(cause);
        if (code !== undefined) expect(((error.cause as Error).cause as { code?: string }).code).toBe(code);
      }
    } finally {
      const closingAt = performance.now();
      await provider.close();
      expect(performance.now() - closingAt).toBeLessThan(BOUND_MS);
    }
  }

  it('a closed port: LockBackendError whose cause carries the connection error', async () => {
    await expectNoAnswer(`redis://127.0.0.1:${await freePort()}`, /ECONNREFUSED/, 'ECONNREFUSED');
  }, 30_000);

  it('a port that accepts and never answers: LockBackendError saying Redis never answered', async () => {
    const silent = await silentServer();
    try {
      await expectNoAnswer(`redis://127.0.0.1:${silent.port}`, /never answered/);
    } finally {
      await silent.close();
    }
  }, 30_000);

  it('Redlock over closed ports: a quorum error (a LockBackendError listing the votes), not a timeout', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const provider = new RedlockProvider({
      endpoints: ports.map((port) => `127.0.0.1:${port}`),
      ttlMs: 3000,
      instanceTimeoutMs: 1500,
    });
    try {
      const outcome = await rejection(() => provider.lock('down').acquire({ timeoutMs: 1000 }));
      expect(RedlockQuorumError.isInstance(outcome.error), String(outcome.error)).toBe(true);
      expect((outcome.error as Error).message).toMatch(
        /no answer within 1500 ms \(latest connection error: .*ECONNREFUSED/,
      );
    } finally {
      await provider.close();
    }
  }, 30_000);
});
