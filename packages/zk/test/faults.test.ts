import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Lease, LockLostError } from '@lock/core';
import { FaultProxy, registerPid, unregisterPid } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import { ZooKeeperError } from '../src/index.js';
import { protectedPrefix, ZK } from '../src/internal.js';
import {
  adminSession,
  eventually,
  grantOf,
  lockNodes,
  sleep,
  useZooKeeper,
  watchersByPath,
} from './support.js';

const holderScript = fileURLToPath(new URL('./fixtures/zk-holder.mjs', import.meta.url));
const zk = useZooKeeper();

function mntr(text: string, key: string): number {
  const match = new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

describe('herd check', () => {
  it('20 waiters: each lock node has at most one watcher, and one delete wakes one watcher', async () => {
    const name = zk.uniqueName('herd');
    const sessions = [zk.provider(), zk.provider(), zk.provider(), zk.provider()];
    const lock = (index: number) => sessions[index % sessions.length]!.lock(name);
    const holder = await lock(0).acquire();
    const waiters: Promise<Lease>[] = [];
    for (let index = 0; index < 20; index += 1) {
      waiters.push(lock(index).acquire({ timeoutMs: 60_000 }));
      // Queue them one by one so each sets its watch before the next arrives.
      await eventually(
        async () => (await lockNodes(zk.admin, sessions[0]!.parentPath(name))).length === index + 2,
      );
    }
    const parent = sessions[0]!.parentPath(name);
    await eventually(async () => {
      const watched = [...watchersByPath(await zk.servers.fourLetter('wchp')).entries()].filter(([path]) =>
        path.startsWith(`${parent}/`),
      );
      return watched.length === 20;
    });
    const watched = [...watchersByPath(await zk.servers.fourLetter('wchp')).entries()].filter(([path]) =>
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
    expect(mntr(await zk.servers.fourLetter('mntr'), 'zk_max_node_deleted_watch_count')).toBeLessThanOrEqual(
      1,
    );
    expect(await lockNodes(zk.admin, parent)).toHaveLength(0);
  });

  it('the checker goes red on a herd (every waiter watching the holder)', async () => {
    const name = zk.uniqueName('herd-mutant');
    const holder = await zk.provider().lock(name).acquire();
    const holderPath = grantOf(holder).path;
    const herd = await Promise.all(
      Array.from({ length: 5 }, () => adminSession(zk.servers.connectionString)),
    );
    const fired: Promise<void>[] = herd.map(
      (session) =>
        new Promise<void>((resolve) => {
          void session.watchData(holderPath, () => resolve());
        }),
    );
    await eventually(
      async () => (watchersByPath(await zk.servers.fourLetter('wchp')).get(holderPath) ?? 0) === 5,
    );
    await holder.release();
    await Promise.all(fired);
    expect(
      mntr(await zk.servers.fourLetter('mntr'), 'zk_max_node_deleted_watch_count'),
    ).toBeGreaterThanOrEqual(5);
    // Wait until the sockets are closed: a child spawned meanwhile would inherit them (see README).
    await Promise.all(herd.map((session) => session.close()));
  });
});

describe('crashed and partitioned holders', () => {
  it('kill -9 of a holder: the next waiter gets the lock within the session timeout plus a second', async () => {
    const name = zk.uniqueName('kill');
    const sessionTimeoutMs = 2_000;
    const child: ChildProcess = spawn(
      process.execPath,
      [holderScript, zk.servers.connectionString, name, String(sessionTimeoutMs)],
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
      const waiter = zk.provider({ sessionTimeoutMs }).lock(name);
      const waiting = waiter.acquire({ timeoutMs: 30_000 });
      await eventually(async () => (await lockNodes(zk.admin, waiter.path)).length === 2);
      const killedAt = performance.now();
      child.kill('SIGKILL');
      const lease = await waiting;
      const waitedMs = performance.now() - killedAt;
      expect(lease.token).toBeGreaterThan(BigInt(heldToken as string));
      expect(waitedMs).toBeLessThanOrEqual(Number(negotiated) + 1_000);
      await lease.release();
      expect(await lockNodes(zk.admin, waiter.path)).toHaveLength(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      unregisterPid(child.pid as number);
    }
  });

  it('a blackholed holder declares the lock lost by its own timer, before the server hands it on', async () => {
    const name = zk.uniqueName('blackhole');
    const proxy = await FaultProxy.start({ targetPort: zk.servers.servers[0]!.clientPort });
    try {
      const holderProvider = zk.provider({ sessionTimeoutMs: 3_000 }, proxy.address);
      const lease = await holderProvider.lock(name).acquire();
      const timeoutMs = holderProvider.sessionTimeoutMs as number;
      const nativeExpiry = { at: Number.NaN };
      grantOf(lease).session.client.on('close', (_client, code) => {
        if (code === ZK.SESSIONEXPIRED) nativeExpiry.at = performance.now();
      });
      const waiter = zk.provider().lock(name);
      let grantedAt = Number.NaN;
      const waiting = waiter.acquire({ timeoutMs: 30_000 }).then((next) => {
        grantedAt = performance.now();
        return next;
      });
      await eventually(async () => (await lockNodes(zk.admin, waiter.path)).length === 2);
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
      expect(await lockNodes(zk.admin, waiter.path)).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });

  it('a short connection reset keeps the lock (reconnected in time = still held)', async () => {
    const name = zk.uniqueName('reset');
    const proxy = await FaultProxy.start({ targetPort: zk.servers.servers[0]!.clientPort });
    try {
      const holderProvider = zk.provider({ sessionTimeoutMs: 4_000 }, proxy.address);
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
      expect(await zk.provider().lock(name).tryAcquire()).toBeNull();
      expect(await lease.release()).toBe(true);
      expect(holderProvider.sessionCount).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('protection mode', () => {
  it('a create whose reply was lost is found again by its GUID: no orphan, no deadlock', async () => {
    const name = zk.uniqueName('reply-lost');
    const proxy = await FaultProxy.start({ targetPort: zk.servers.servers[0]!.clientPort });
    try {
      const victim = zk.provider({ sessionTimeoutMs: 6_000 }, proxy.address);
      const lock = victim.lock(name);
      await (await lock.acquire()).release(); // connected, parent created
      proxy.blackhole('serverToClient');
      const acquiring = lock.acquire({ timeoutMs: 30_000 });
      // The create reached the server and was applied; its reply is gone.
      await eventually(async () => (await lockNodes(zk.admin, lock.path)).length === 1);
      proxy.reset();
      proxy.pass();
      const lease = await acquiring;
      const nodes = await lockNodes(zk.admin, lock.path);
      expect(nodes).toHaveLength(1);
      expect(`${lock.path}/${nodes[0]}`).toBe(grantOf(lease).path);
      expect(victim.sessionCount).toBe(1);
      await lease.release();
      expect(await lockNodes(zk.admin, lock.path)).toHaveLength(0);
      const other = await zk.provider().lock(name).acquire({ timeoutMs: 10_000 });
      await other.release();
    } finally {
      await proxy.close();
    }
  });

  it('mutant: a plain retried create leaves an orphan that blocks the queue', async () => {
    const name = zk.uniqueName('reply-lost-mutant');
    const proxy = await FaultProxy.start({ targetPort: zk.servers.servers[0]!.clientPort });
    const naive = zk.provider({ sessionTimeoutMs: 6_000 }, proxy.address);
    try {
      const lock = naive.lock(name);
      await (await lock.acquire()).release();
      const session = await naive.session();
      proxy.blackhole('serverToClient');
      const prefix = `${lock.path}/${protectedPrefix(crypto.randomUUID())}`;
      const first = session.create(prefix, ZK.EPHEMERAL_SEQUENTIAL).catch((error: unknown) => error);
      await eventually(async () => (await lockNodes(zk.admin, lock.path)).length === 1);
      proxy.reset();
      proxy.pass();
      const lost = await first;
      expect(lost instanceof ZooKeeperError && lost.connectionLoss).toBe(true);
      await session.whenConnected(AbortSignal.timeout(10_000));
      const second = await session.create(prefix, ZK.EPHEMERAL_SEQUENTIAL);
      const nodes = await lockNodes(zk.admin, lock.path);
      expect(nodes).toHaveLength(2);
      // The naive client knows only its second node; the first is an orphan ahead of it in the queue.
      await session.delete(second);
      expect(await lockNodes(zk.admin, lock.path)).toHaveLength(1);
      expect(await zk.provider().lock(name).tryAcquire()).toBeNull();
    } finally {
      await naive.close();
      await proxy.close();
    }
  });
});
