import { LockBackendError, LockLostError } from '@lock/core';
import { FaultProxy, LineChild, startGuardedResource, uniqueName, whenAborted } from '@lock/testkit';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAdmin, eventually, fixture, usePostgres } from './helpers.js';

const db = usePostgres();
const extraAdmins: pg.Client[] = [];
afterAll(async () => {
  await Promise.allSettled(extraAdmins.map((client) => client.end()));
});

/** Backends waiting in the server's lock queue for an advisory lock. */
async function advisoryWaiters(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
  );
  return rows[0].n as number;
}

describe('holder killed with -9 (F3)', () => {
  it('the waiter queued at the server is granted as soon as the holder process dies', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('kill9');
    const holder = new LineChild(process.execPath, [fixture('holder.mjs'), db.server.url, name, '3000']);
    try {
      const held = JSON.parse(await holder.line()) as { token: string };
      const provider = db.provider();
      const order: string[] = [];
      const waiting = provider
        .lock(name)
        .acquire({ timeoutMs: 30_000 })
        .then((lease) => {
          order.push('granted');
          return lease;
        });
      await eventually(
        async () => (await advisoryWaiters(db.admin)) === 1,
        10_000,
        'the waiter in the server queue',
      );
      expect(order).toEqual([]);
      const killedAt = performance.now();
      order.push('killed');
      holder.signal('SIGKILL');
      const lease = await waiting;
      const handoffMs = performance.now() - killedAt;
      expect(order).toEqual(['killed', 'granted']);
      expect(lease.token > BigInt(held.token)).toBe(true);
      // The kernel closes the dead process's socket, the server ends its session at once: the grant comes
      // with the statement already waiting, no TTL involved. Generous bound for a loaded 2-core machine.
      console.log(`postgres: grant after kill -9 of the holder in ${handoffMs.toFixed(1)} ms`);
      expect(handoffMs).toBeLessThan(3_000);
      await lease.release();
    } finally {
      await holder.stop();
    }
  });
});

describe("pg_terminate_backend of the holder's session", () => {
  it('aborts the lease signal; the next holder is granted; the stale write is refused by the resource', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('terminate');
    const resource = await startGuardedResource({ fencing: 'on' });
    try {
      const first = db.provider();
      const second = db.provider();
      const old = await first.lock(name).acquire();
      const value = await resource.client.read();
      const next = second.lock(name).acquire({ timeoutMs: 30_000 });
      await eventually(
        async () => (await advisoryWaiters(db.admin)) === 1,
        10_000,
        'the second in the queue',
      );

      expect(await db.terminateHolders(first, name)).toBe(1);
      const reason = await whenAborted(old.signal, 10_000);
      expect(LockLostError.isInstance(reason)).toBe(true);
      expect((reason as LockLostError).reason).toBe('session-lost');
      expect(old.held).toBe(false);

      const lease = await next;
      expect(lease.token > old.token).toBe(true);
      expect(
        (await resource.client.write((await resource.client.read()) + 1, lease.token, 'next')).accepted,
      ).toBe(true);
      // The old holder, had it ignored its signal: its write carries a token below the one already seen.
      expect((await resource.client.write(value + 1, old.token, 'old')).accepted).toBe(false);
      expect(await old.release()).toBe(false);
      await lease.release();
      // The provider whose session was terminated opens a new one for its next acquisition.
      const again = await first.lock(name).acquire({ timeoutMs: 10_000 });
      expect(again.token > lease.token).toBe(true);
      await again.release();
    } finally {
      await resource.close();
    }
  });
});

describe('half-open connection (F5)', () => {
  it("the holder behind a blackholed link declares its lease lost by its own clock, before the server's expiry hands the lock on", {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('blackhole');
    const proxy = await FaultProxy.start({ targetPort: db.server.port });
    try {
      const cut = db.provider({ url: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`, ttlMs: 2_000 });
      const lease = await cut.lock(name).acquire();
      const events: string[] = [];
      lease.signal.addEventListener('abort', () => events.push('holder lost'));
      const next = db
        .provider()
        .lock(name)
        .acquire({ timeoutMs: 30_000 })
        .then((granted) => {
          events.push('next granted');
          return granted;
        });
      // No RST, no FIN, no error: keepalives go unanswered.
      proxy.blackhole();
      const reason = await whenAborted(lease.signal, 10_000);
      expect(LockLostError.isInstance(reason)).toBe(true);
      // The server ends the session once it has been idle for the TTL (idle_session_timeout), which frees the
      // lock; the holder's safe deadline is measured from an earlier instant, so it gives up first.
      const granted = await next;
      expect(events).toEqual(['holder lost', 'next granted']);
      expect(granted.token > lease.token).toBe(true);
      await granted.release();
    } finally {
      await proxy.close();
    }
  });
});

describe('server restart (F8)', () => {
  it('while held: the signal aborts, nothing hangs, and tokens keep increasing after the restart', {
    timeout: 90_000,
  }, async () => {
    const name = uniqueName('restart-held');
    const provider = db.provider();
    const lease = await provider.lock(name).acquire();
    await db.server.restart();
    const reason = await whenAborted(lease.signal, 10_000);
    expect(LockLostError.isInstance(reason)).toBe(true);
    expect(await lease.release()).toBe(false);
    const after = await provider.lock(name).acquire({ timeoutMs: 20_000 });
    // The fence counter is a table row: it survives the restart.
    expect(after.token > lease.token).toBe(true);
    await after.release();
    const admin = await connectAdmin(db.server);
    extraAdmins.push(admin);
    expect(await advisoryWaiters(admin)).toBe(0);
  });

  it('while waiting: the holder loses its lease, the waiter waits again on a new session and is granted', {
    timeout: 90_000,
  }, async () => {
    const name = uniqueName('restart-waiting');
    const holderProvider = db.provider();
    const waiterProvider = db.provider();
    const holder = await holderProvider.lock(name).acquire();
    const waiting = waiterProvider.lock(name).acquire({ timeoutMs: 60_000 });
    const admin = await connectAdmin(db.server);
    await eventually(async () => (await advisoryWaiters(admin)) === 1, 10_000, 'the waiter in the queue');
    await admin.end();
    await db.server.restart();
    const reason = await whenAborted(holder.signal, 10_000);
    expect(LockLostError.isInstance(reason)).toBe(true);
    const lease = await waiting;
    expect(lease.token > holder.token).toBe(true);
    expect(lease.held).toBe(true);
    await lease.release();
    expect(await holder.release()).toBe(false);
  });

  it('a server that stays down fails a waiter with LockBackendError instead of hanging', {
    timeout: 90_000,
  }, async () => {
    const name = uniqueName('down');
    const holderProvider = db.provider();
    const waiterProvider = db.provider({ connectTimeoutMs: 1_000 });
    const holder = await holderProvider.lock(name).acquire();
    const waiting = waiterProvider
      .lock(name)
      .acquire({ timeoutMs: 60_000 })
      .then(
        () => 'granted',
        (error: unknown) => error,
      );
    const admin = await connectAdmin(db.server);
    await eventually(async () => (await advisoryWaiters(admin)) === 1, 10_000, 'the waiter in the queue');
    await admin.end();
    await db.server.stop();
    try {
      const outcome = await waiting;
      expect(LockBackendError.isInstance(outcome), String(outcome)).toBe(true);
      await whenAborted(holder.signal, 10_000);
    } finally {
      await db.server.start();
    }
  });
});
