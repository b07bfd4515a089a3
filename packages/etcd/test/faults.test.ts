import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockLostError } from '@lock/core';
import {
  type EtcdCluster,
  FaultProxy,
  formatReport,
  runClients,
  settle,
  sleep,
  startEtcd,
  startGuardedResource,
  uniqueName,
  whenAborted,
} from '@lock/testkit';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdProvider, etcdClientOptions } from '../src/index.js';
import { Child, fixture, queueLength } from './helpers.js';

const historyRoot = mkdtempSync(join(tmpdir(), 'lock-etcd-history-'));
afterAll(() => rmSync(historyRoot, { recursive: true, force: true }));

describe('single member', () => {
  let cluster: EtcdCluster;
  let admin: Etcd3;

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
    admin = new Etcd3(etcdClientOptions(cluster.endpoints));
  });
  afterAll(async () => {
    admin?.close();
    await cluster?.close();
  });

  const keysUnder = async (name: string): Promise<number> => {
    const reply = await admin.getAll().prefix(`${name}/`).keys();
    return reply.length;
  };

  it('keeps the counter exact with 5 client processes; the no-lock mutant loses updates', {
    timeout: 120_000,
  }, async () => {
    const name = uniqueName('processes');
    const run = await runClients({
      count: 5,
      module: fixture('etcd-client.mjs'),
      args: { endpoints: cluster.endpoints, ttlMs: 5_000, name },
      historyDir: join(historyRoot, 'processes'),
      operations: 20,
      countOrphans: async () => ({ keys: await keysUnder(name) }),
    });
    expect(run.report.violations, formatReport(run.report)).toBe(0);
    expect(run.report.writes.ok).toBe(100);
    expect(run.resource.value).toBe(100);
    expect(run.report.tokens.regressions + run.report.tokens.duplicates).toBe(0);

    const mutant = await runClients({
      count: 5,
      module: fixture('etcd-client.mjs'),
      args: { endpoints: cluster.endpoints, ttlMs: 5_000, name },
      historyDir: join(historyRoot, 'processes-mutant'),
      operations: 20,
      mutant: 'no-lock',
    });
    expect(mutant.report.lostUpdates.lost, formatReport(mutant.report)).toBeGreaterThan(0);
  });

  it('0 violations with holders paused past their TTL (F2, 4 client processes)', {
    timeout: 120_000,
  }, async () => {
    const name = uniqueName('paused');
    let pauses = 0;
    let pausing = false;
    const run = await runClients({
      count: 4,
      module: fixture('etcd-client.mjs'),
      // 2 s is etcd's minimum TTL; the pauses below outlast it (and etcd's 0.5 s expiry check).
      args: { endpoints: cluster.endpoints, ttlMs: 2_000, name },
      historyDir: join(historyRoot, 'paused'),
      operations: 10,
      criticalSectionMs: 30,
      // A paused holder cannot know it lost its lease: overlaps are expected, the fence must hold.
      overlapsAreViolations: false,
      onEvent: (event, control) => {
        if (
          pausing ||
          pauses >= 3 ||
          event.f !== 'read' ||
          event.type !== 'ok' ||
          typeof event.proc !== 'number'
        )
          return;
        pausing = true;
        pauses += 1;
        const proc = event.proc;
        control.pause(proc);
        setTimeout(() => {
          control.resume(proc);
          pausing = false;
        }, 3_500);
      },
      countOrphans: async () => ({ keys: await keysUnder(name) }),
    });
    expect(run.report.faults).toBeGreaterThanOrEqual(2);
    expect(run.report.violations, formatReport(run.report)).toBe(0);
    expect(run.report.stale.staleAccepted).toBe(0);
    expect(run.report.lostUpdates.lost).toBe(0);
  });

  it('fences out the write of a holder paused between read and write; without fencing it loses updates', {
    timeout: 60_000,
  }, async () => {
    const staleRun = async (fencing: 'on' | 'off') => {
      const name = uniqueName(`stale-${fencing}`);
      const resource = await startGuardedResource({ fencing });
      const writer = new Child(process.execPath, [
        fixture('stale-writer.mjs'),
        cluster.endpoints.join(','),
        name,
        resource.url,
      ]);
      const provider = new EtcdProvider({ endpoints: cluster.endpoints, ttlMs: 2_000 });
      try {
        const read = JSON.parse(await writer.line((line) => line.includes('"read"'))) as { token: string };
        // The paused holder's lease expires on the server; the next holder gets the lock and does 3 increments.
        const lease = await provider.lock(name).acquire({ timeoutMs: 20_000 });
        expect(lease.token > BigInt(read.token)).toBe(true);
        for (let increment = 0; increment < 3; increment++) {
          const value = await resource.client.read();
          expect((await resource.client.write(value + 1, lease.token, 'next')).accepted).toBe(true);
        }
        await lease.release();
        writer.signal('SIGCONT');
        const wrote = JSON.parse(await writer.line((line) => line.includes('"wrote"'))) as {
          accepted: boolean;
        };
        await writer.exited;
        return { accepted: wrote.accepted, final: (await resource.state()).value };
      } finally {
        writer.signal('SIGCONT');
        await writer.stop();
        await provider.close();
        await resource.close();
      }
    };
    const fenced = await staleRun('on');
    expect(fenced).toEqual({ accepted: false, final: 3 });
    // The mutant: the same pause with fencing off overwrites the 3 increments made meanwhile.
    const unfenced = await staleRun('off');
    expect(unfenced).toEqual({ accepted: true, final: 1 });
  });

  it('an acquire whose reply comes too late fails and leaves no key behind (F13)', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('late-reply');
    const proxy = await FaultProxy.start({ targetPort: cluster.members[0]!.clientPort });
    const slow = new EtcdProvider({
      endpoints: [`http://${proxy.address}`],
      ttlMs: 5_000,
      requestTimeoutMs: 500,
    });
    try {
      // Open the session first, then delay every reply past the request timeout: the txn is applied, but the
      // caller is told it failed.
      await (await slow.lock(`${name}-warm`).acquire()).release();
      proxy.delay(1_500, 'serverToClient');
      const attempt = await settle(slow.lock(name).acquire());
      expect(attempt.error).toBeDefined();
      proxy.pass();
      await sleep(3_000);
      expect(await keysUnder(name)).toBe(0);
      const lease = await slow.lock(name).acquire({ timeoutMs: 15_000 });
      await lease.release();
    } finally {
      proxy.pass();
      await slow.close();
      await proxy.close();
    }
  });

  it('a waiter whose session ends while etcd is unreachable rejects with session-lost, never granted', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('waiter-blackhole');
    const proxy = await FaultProxy.start({ targetPort: cluster.members[0]!.clientPort });
    // The TTL is long against the request timeout, so that when the session ends the waiter is retrying its
    // read (the path that used to retry forever), not watching (which always listened to the session).
    const partitioned = new EtcdProvider({
      endpoints: [`http://${proxy.address}`],
      ttlMs: 6_000,
      requestTimeoutMs: 1_000,
    });
    const holderProvider = new EtcdProvider({ endpoints: cluster.endpoints, ttlMs: 3_000 });
    try {
      const holder = await holderProvider.lock(name).acquire();
      // No timeout and no signal: only the session's end can stop this waiter while etcd is unreachable.
      const waiting = settle(partitioned.lock(name).acquire());
      while ((await queueLength(holderProvider, name)) < 2) await sleep(20);
      proxy.blackhole();
      // Its reads now fail; its session ends by its own deadline (TTL from the last confirmed keepalive).
      const outcome = await Promise.race([waiting, sleep(20_000).then(() => 'still waiting' as const)]);
      expect(outcome).not.toBe('still waiting');
      const { error } = outcome as Awaited<typeof waiting>;
      // The whole error on failure, not just 'false': what ended the waiter instead of its session.
      expect(LockLostError.isInstance(error) ? 'LockLostError' : error).toBe('LockLostError');
      expect((error as LockLostError).reason).toBe('session-lost');
      expect((error as LockLostError).lockName).toBe(name);
      expect(holder.held).toBe(true);
      await holder.release();
      // The waiter's key died with its lease (healing itself is covered by F5 below).
      await eventuallyEmpty(name);
    } finally {
      proxy.pass();
      await Promise.allSettled([partitioned.close(), holderProvider.close()]);
      await proxy.close();
    }
  });

  const eventuallyEmpty = async (name: string): Promise<void> => {
    for (let attempt = 0; attempt < 100 && (await keysUnder(name)) > 0; attempt++) await sleep(100);
    expect(await keysUnder(name)).toBe(0);
  };

  it('declares the lock lost by its own deadline when the connection is blackholed (F5)', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('blackhole');
    const proxy = await FaultProxy.start({ targetPort: cluster.members[0]!.clientPort });
    const partitioned = new EtcdProvider({
      endpoints: [`http://${proxy.address}`],
      ttlMs: 3_000,
      requestTimeoutMs: 1_000,
    });
    const other = new EtcdProvider({ endpoints: cluster.endpoints, ttlMs: 3_000 });
    try {
      const lease = await partitioned.lock(name).acquire();
      expect(lease.ttlMs).toBe(3_000);
      let lostAt = 0;
      lease.signal.addEventListener('abort', () => (lostAt = performance.now()));
      let grantedAt = 0;
      const waiting = other
        .lock(name)
        .acquire()
        .then((next) => {
          grantedAt = performance.now();
          return next;
        });
      while ((await queueLength(other, name)) < 2) await sleep(20);
      // Half-open: no RST, no error, no reply.
      const blackholedAt = performance.now();
      proxy.blackhole();
      const reason = await whenAborted(lease.signal, 10_000);
      expect(LockLostError.isInstance(reason)).toBe(true);
      expect((reason as LockLostError).reason).toBe('session-lost');
      const next = await waiting;
      // Lost by the local deadline (TTL from the last confirmed keepalive send), before etcd re-granted it.
      expect(lostAt - blackholedAt).toBeLessThanOrEqual(3_000 + 1_000);
      expect(lostAt).toBeLessThan(grantedAt);
      expect(next.token > lease.token).toBe(true);
      await next.release();
      // Healed: the partitioned provider opens a new session and works again.
      proxy.pass();
      const again = await partitioned.lock(name).acquire({ timeoutMs: 15_000 });
      expect(again.token > next.token).toBe(true);
      await again.release();
    } finally {
      proxy.pass();
      await Promise.allSettled([partitioned.close(), other.close()]);
      await proxy.close();
    }
  });
});
