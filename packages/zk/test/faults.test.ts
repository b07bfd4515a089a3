import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Lease, LockBackendError, LockLostError } from '@lock/core';
import { FaultProxy, registerPid, unregisterPid, type ZooKeeperEnsemble } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectedPrefix } from '../src/lock-node.js';
import { ZK } from '../src/zookeeper-codes.js';
import { ZooKeeperError } from '../src/zookeeper-error.js';
import type { ZooKeeperGrant } from '../src/zookeeper-lock.js';
import type { ZooKeeperProvider } from '../src/zookeeper-provider.js';
import type { ZooKeeperSession } from '../src/zookeeper-session.js';
import {
  adminSession,
  eventually,
  expireProviderSession,
  lockNodes,
  makeProvider,
  sleep,
  startServers,
} from './support.js';

const holderScript = fileURLToPath(new URL('./fixtures/zk-holder.mjs', import.meta.url));
let servers: ZooKeeperEnsemble;
let admin: ZooKeeperSession;
const providers: ZooKeeperProvider[] = [];
let counter = 0;

function provider(
  options: Parameters<typeof makeProvider>[1] = {},
  connectionString = servers.connectionString,
) {
  const created = makeProvider(connectionString, options);
  providers.push(created);
  return created;
}

function uniqueName(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}`;
}

function grantOf(lease: Lease): ZooKeeperGrant {
  return (lease as unknown as { grant: ZooKeeperGrant }).grant;
}

/** Watchers per path from `wchp` (data watches, the kind a waiter sets on its predecessor). */
function watchersByPath(wchp: string): Map<string, number> {
  const counts = new Map<string, number>();
  let path: string | undefined;
  for (const line of wchp.split('\n')) {
    if (line.startsWith('/')) {
      path = line.trim();
      counts.set(path, 0);
    } else if (path !== undefined && line.trim().startsWith('0x')) {
      counts.set(path, (counts.get(path) ?? 0) + 1);
    }
  }
  return counts;
}

function mntr(text: string, key: string): number {
  const match = new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

beforeAll(async () => {
  servers = await startServers();
  admin = await adminSession(servers.connectionString);
});

afterAll(async () => {
  await Promise.allSettled(providers.map((each) => each.close()));
  await admin?.close();
  await servers?.close();
});

describe('herd check', () => {
  it('20 waiters: each lock node has at most one watcher, and one delete wakes one watcher', async () => {
    const name = uniqueName('herd');
    const sessions = [provider(), provider(), provider(), provider()];
    const lock = (index: number) => sessions[index % sessions.length]!.lock(name);
    const holder = await lock(0).acquire();
    const waiters: Promise<Lease>[] = [];
    for (let index = 0; index < 20; index += 1) {
      waiters.push(lock(index).acquire({ timeoutMs: 60_000 }));
      // Queue them one by one so each sets its watch before the next arrives.
      await eventually(
        async () => (await lockNodes(admin, sessions[0]!.parentPath(name))).length === index + 2,
      );
    }
    const parent = sessions[0]!.parentPath(name);
    await eventually(async () => {
      const watched = [...watchersByPath(await servers.fourLetter('wchp')).entries()].filter(([path]) =>
        path.startsWith(`${parent}/`),
      );
      return watched.length === 20;
    });
    const watched = [...watchersByPath(await servers.fourLetter('wchp')).entries()].filter(([path]) =>
      path.startsWith(`${parent}/`),
    );
    // Twenty waiters watch twenty distinct nodes (the holder's and the first nineteen waiters'), one each.
    expect(watched).toHaveLength(20);
    expect(Math.max(...watched.map(([, count]) => count))).toBe(1);

    // Hand the lock down the whole queue; every handoff must be to the next waiter only.
    let lease = holder;
    for (const waiter of waiters) {
      await lease.release();
      lease = await waiter;
    }
    await lease.release();
    expect(mntr(await servers.fourLetter('mntr'), 'zk_max_node_deleted_watch_count')).toBeLessThanOrEqual(1);
    expect(await lockNodes(admin, parent)).toHaveLength(0);
  });

  it('the checker goes red on a herd (every waiter watching the holder)', async () => {
    const name = uniqueName('herd-mutant');
    const holder = await provider().lock(name).acquire();
    const holderPath = grantOf(holder).path;
    const herd = await Promise.all(Array.from({ length: 5 }, () => adminSession(servers.connectionString)));
    const fired: Promise<void>[] = herd.map(
      (session) =>
        new Promise<void>((resolve) => {
          void session.watchData(holderPath, () => resolve());
        }),
    );
    await eventually(
      async () => (watchersByPath(await servers.fourLetter('wchp')).get(holderPath) ?? 0) === 5,
    );
    await holder.release();
    await Promise.all(fired);
    expect(mntr(await servers.fourLetter('mntr'), 'zk_max_node_deleted_watch_count')).toBeGreaterThanOrEqual(
      5,
    );
    // Wait until the sockets are closed: a child spawned meanwhile would inherit them (see README).
    await Promise.all(herd.map((session) => session.close()));
  });
});

describe('crashed and partitioned holders', () => {
  it('kill -9 of a holder: the next waiter gets the lock within the session timeout plus a second', async () => {
    const name = uniqueName('kill');
    const sessionTimeoutMs = 2_000;
    const child: ChildProcess = spawn(
      process.execPath,
      [holderScript, servers.connectionString, name, String(sessionTimeoutMs)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    registerPid(child.pid as number);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\n')) resolve(text.trim());
        });
        child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const [, heldToken, negotiated] = line.split(' ');
      const waiter = provider({ sessionTimeoutMs }).lock(name);
      const waiting = waiter.acquire({ timeoutMs: 30_000 });
      await eventually(async () => (await lockNodes(admin, waiter.path)).length === 2);
      const killedAt = performance.now();
      child.kill('SIGKILL');
      const lease = await waiting;
      const waitedMs = performance.now() - killedAt;
      expect(lease.token).toBeGreaterThan(BigInt(heldToken as string));
      expect(waitedMs).toBeLessThanOrEqual(Number(negotiated) + 1_000);
      await lease.release();
      expect(await lockNodes(admin, waiter.path)).toHaveLength(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      unregisterPid(child.pid as number);
    }
  });

  it('a blackholed holder declares the lock lost by its own timer, before the server hands it on', async () => {
    const name = uniqueName('blackhole');
    const proxy = await FaultProxy.start({ targetPort: servers.servers[0]!.clientPort });
    try {
      const holderProvider = provider({ sessionTimeoutMs: 3_000 }, proxy.address);
      const lease = await holderProvider.lock(name).acquire();
      const timeoutMs = holderProvider.sessionTimeoutMs as number;
      const nativeExpiry = { at: Number.NaN };
      grantOf(lease).session.client.on('close', (_client, code) => {
        if (code === ZK.SESSIONEXPIRED) nativeExpiry.at = performance.now();
      });
      const waiter = provider().lock(name);
      let grantedAt = Number.NaN;
      const waiting = waiter.acquire({ timeoutMs: 30_000 }).then((next) => {
        grantedAt = performance.now();
        return next;
      });
      await eventually(async () => (await lockNodes(admin, waiter.path)).length === 2);
      // Half-open: bytes vanish both ways, no FIN, no RST, no error on either socket.
      proxy.blackhole();
      const blackholedAt = performance.now();
      const reason = await new Promise<unknown>((resolve) =>
        lease.signal.addEventListener('abort', () => resolve(lease.signal.reason)),
      );
      const lostAt = performance.now();
      expect(LockLostError.isInstance(reason)).toBe(true);
      expect((reason as LockLostError).reason).toBe('session-lost');
      // Declared by its own clock, at most 2/3 of the session timeout after the last confirmed contact.
      expect(lostAt - blackholedAt).toBeLessThanOrEqual(timeoutMs);
      const next = await waiting;
      // The point: the holder stopped before anyone else was granted (0 believed overlaps).
      expect(lostAt).toBeLessThan(grantedAt);
      // Mutant: a holder that waits for the client's session-expired event would still believe it holds,
      // since that event needs a reconnect that a blackhole never allows.
      expect(Number.isNaN(nativeExpiry.at) || nativeExpiry.at > grantedAt).toBe(true);
      expect(await lease.release()).toBe(false);
      await next.release();
      // Later acquisitions on the partitioned provider use a new session (the old client is never reused).
      proxy.pass();
      const again = await holderProvider.lock(name).acquire({ timeoutMs: 20_000 });
      expect(holderProvider.sessionCount).toBe(2);
      expect(again.token).toBeGreaterThan(next.token);
      await again.release();
      expect(await lockNodes(admin, waiter.path)).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });

  it('a short connection reset keeps the lock (reconnected in time = still held)', async () => {
    const name = uniqueName('reset');
    const proxy = await FaultProxy.start({ targetPort: servers.servers[0]!.clientPort });
    try {
      const holderProvider = provider({ sessionTimeoutMs: 4_000 }, proxy.address);
      const lease = await holderProvider.lock(name).acquire();
      const session = grantOf(lease).session;
      let disconnects = 0;
      session.client.on('connecting', () => {
        disconnects += 1;
      });
      proxy.reset();
      await eventually(() => disconnects > 0, 10_000, 5);
      await session.whenConnected(AbortSignal.timeout(10_000));
      await sleep(200);
      expect(lease.held).toBe(true);
      expect(lease.signal.aborted).toBe(false);
      expect(await provider().lock(name).tryAcquire()).toBeNull();
      expect(await lease.release()).toBe(true);
      expect(holderProvider.sessionCount).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('protection mode', () => {
  it('a create whose reply was lost is found again by its GUID: no orphan, no deadlock', async () => {
    const name = uniqueName('reply-lost');
    const proxy = await FaultProxy.start({ targetPort: servers.servers[0]!.clientPort });
    try {
      const victim = provider({ sessionTimeoutMs: 6_000 }, proxy.address);
      const lock = victim.lock(name);
      await (await lock.acquire()).release(); // connected, parent created
      proxy.blackhole('serverToClient');
      const acquiring = lock.acquire({ timeoutMs: 30_000 });
      // The create reached the server and was applied; its reply is gone.
      await eventually(async () => (await lockNodes(admin, lock.path)).length === 1);
      proxy.reset();
      proxy.pass();
      const lease = await acquiring;
      const nodes = await lockNodes(admin, lock.path);
      expect(nodes).toHaveLength(1);
      expect(`${lock.path}/${nodes[0]}`).toBe(grantOf(lease).path);
      expect(victim.sessionCount).toBe(1);
      await lease.release();
      expect(await lockNodes(admin, lock.path)).toHaveLength(0);
      const other = await provider().lock(name).acquire({ timeoutMs: 10_000 });
      await other.release();
    } finally {
      await proxy.close();
    }
  });

  it('mutant: a plain retried create leaves an orphan that blocks the queue', async () => {
    const name = uniqueName('reply-lost-mutant');
    const proxy = await FaultProxy.start({ targetPort: servers.servers[0]!.clientPort });
    const naive = provider({ sessionTimeoutMs: 6_000 }, proxy.address);
    try {
      const lock = naive.lock(name);
      await (await lock.acquire()).release();
      const session = await naive.session();
      proxy.blackhole('serverToClient');
      const prefix = `${lock.path}/${protectedPrefix(crypto.randomUUID())}`;
      const first = session.create(prefix, ZK.EPHEMERAL_SEQUENTIAL).catch((error: unknown) => error);
      await eventually(async () => (await lockNodes(admin, lock.path)).length === 1);
      proxy.reset();
      proxy.pass();
      const lost = await first;
      expect(lost instanceof ZooKeeperError && lost.connectionLoss).toBe(true);
      await session.whenConnected(AbortSignal.timeout(10_000));
      const second = await session.create(prefix, ZK.EPHEMERAL_SEQUENTIAL);
      const nodes = await lockNodes(admin, lock.path);
      expect(nodes).toHaveLength(2);
      // The naive client knows only its second node; the first is an orphan ahead of it in the queue.
      await session.delete(second);
      expect(await lockNodes(admin, lock.path)).toHaveLength(1);
      expect(await provider().lock(name).tryAcquire()).toBeNull();
    } finally {
      await naive.close();
      await proxy.close();
    }
  });
});

describe('tokens and sessions', () => {
  it('tokens (czxid) keep increasing across a parent delete and recreate, while sequence suffixes restart', async () => {
    const name = uniqueName('recreate');
    const lock = provider().lock(name);
    const first = await lock.acquire();
    const firstNode = grantOf(first).path.slice(lock.path.length + 1);
    await first.release();
    // The empty container parent is reaped by the server (checkIntervalMs 500 in these tests).
    await eventually(async () => (await admin.exists(lock.path)) === null, 20_000, 100);
    const second = await lock.acquire();
    const secondNode = grantOf(second).path.slice(lock.path.length + 1);
    await second.release();
    expect(firstNode.slice(-10)).toBe(secondNode.slice(-10));
    expect(second.token).toBeGreaterThan(first.token);
  });

  it('a waiter whose session expires is rejected, and the next acquisition uses a new session', async () => {
    const name = uniqueName('waiter-expired');
    const holder = await provider().lock(name).acquire();
    const waiterProvider = provider();
    // Observed from the start: it rejects while the session is being expired.
    const waiting = waiterProvider
      .lock(name)
      .acquire({ timeoutMs: 30_000 })
      .catch((caught: unknown) => caught);
    await eventually(async () => (await lockNodes(admin, waiterProvider.parentPath(name))).length === 2);
    await expireProviderSession(waiterProvider, servers.connectionString);
    const error = await waiting;
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect(await lockNodes(admin, waiterProvider.parentPath(name))).toHaveLength(1);
    await holder.release();
    const lease = await waiterProvider.lock(name).acquire({ timeoutMs: 10_000 });
    expect(waiterProvider.sessionCount).toBe(2);
    await lease.release();
  });

  it('status reports the holder, its token and the waiters in order', async () => {
    const name = uniqueName('status');
    const owner = provider();
    const lock = owner.lock(name);
    expect(await owner.status(name)).toMatchObject({ holder: null, waiters: [] });
    const lease = await lock.acquire();
    const waiting = [lock.acquire(), lock.acquire()];
    await eventually(async () => (await lockNodes(admin, lock.path)).length === 3);
    const status = await owner.status(name);
    const nodes = await lockNodes(admin, lock.path);
    expect(status.path).toBe(lock.path);
    expect(status.holder?.token).toBe(lease.token);
    expect(status.holder?.node).toBe(nodes[0]);
    expect(status.holder?.sessionId).toBe(owner.sessionId);
    expect(status.waiters.map((waiter) => waiter.node)).toEqual(nodes.slice(1));
    await lease.release();
    for (const next of waiting) await (await next).release();
  });
});
